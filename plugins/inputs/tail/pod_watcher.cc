#include "plugins/inputs/tail/pod_watcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace logagent::plugins::tail {
namespace {

constexpr std::chrono::milliseconds kMinBackoff{1000};
constexpr std::chrono::milliseconds kMaxBackoff{30000};
constexpr std::chrono::seconds kListTimeout{120};
constexpr int kWatchSeconds = 300;  // the server ends the watch after this; it is then resumed

// `text` with every byte but unreserved ones percent-encoded (a query value).
std::string escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The error of a failed request, with what to do about a refusal.
std::string explained(const KubeClient::Response& r) {
  if (r.status == 401) return r.error + " (the service account's token was refused)";
  if (r.status == 403) {
    return r.error +
           " (the service account may not list and watch pods: grant it the ClusterRole of "
           "packaging/kubernetes/rbac.yaml)";
  }
  return r.error;
}

}  // namespace

PodWatcher::PodWatcher(KubeEndpoint endpoint, std::string node, PodSelection select,
                       PodCache& cache, PodWatcherMetrics metrics)
    : client_(std::move(endpoint), stop_),
      node_(std::move(node)),
      select_(std::move(select)),
      cache_(cache),
      metrics_(std::move(metrics)) {}

PodWatcher::~PodWatcher() { stop(); }

void PodWatcher::start() {
  thread_ = std::thread([this] { run(); });
}

void PodWatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string PodWatcher::list_path(const std::string& continue_token) const {
  std::string p = "/api/v1/pods?limit=" + std::to_string(kPageSize);
  if (!node_.empty()) p += "&fieldSelector=" + escape("spec.nodeName=" + node_);
  if (!continue_token.empty()) p += "&continue=" + escape(continue_token);
  return p;
}

std::string PodWatcher::watch_path(const std::string& resource_version) const {
  std::string p = "/api/v1/pods?watch=1";
  if (!node_.empty()) p += "&fieldSelector=" + escape("spec.nodeName=" + node_);
  return p + "&resourceVersion=" + escape(resource_version) +
         "&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(kWatchSeconds);
}

void PodWatcher::run() {
  std::string resource_version;
  bool listed = false;
  bool first_watch = false;  // the next watch is the first from a LIST's resourceVersion
  while (!stop_.load()) {
    if (!listed) {
      listed = list(resource_version);
      first_watch = listed;
      if (!listed) backoff();
      continue;
    }
    const uint64_t events_before = counts_.events.load();
    const bool after_list = std::exchange(first_watch, false);
    switch (watch(resource_version)) {
      case WatchEnd::kClosed:
        // A watch closed without a single event (e.g. a proxy closing at once) is not retried
        // at once.
        if (counts_.events.load() == events_before) backoff();
        break;
      case WatchEnd::kExpired:
        counts_.expired.fetch_add(1);
        metrics_.expired.inc();
        spdlog::info("kubernetes api: watch from resourceVersion {} expired (410): listing again",
                     resource_version);
        listed = false;
        // The first watch from a LIST expired before any event (a server that answers every
        // watch 410): the next LIST waits, or LISTs of every pod would be sent back to back. A
        // resumed watch that expired (a quiet node's resourceVersion compacted) lists at once.
        if (after_list && counts_.events.load() == events_before) backoff();
        break;
      case WatchEnd::kFailed:
        backoff();
        break;
    }
  }
}

bool PodWatcher::list(std::string& resource_version) {
  // At most the cache's capacity is collected: a list of every pod of a large cluster (no node
  // name) is held a page at a time, not whole, until it replaces the cache.
  std::vector<PodMetadata> pods;
  uint64_t left_out = 0;
  std::string continue_token;
  do {
    std::string body;
    const KubeClient::Response r = client_.get(
        list_path(continue_token),
        [&body](std::string_view data) {
          if (body.size() + data.size() > kMaxBody) return false;
          body.append(data);
          return true;
        },
        kListTimeout);
    if (stop_.load()) return false;
    if (r.aborted) return failed("LIST: a page larger than 64MiB");
    if (!r.error.empty()) return failed(explained(r), r.failure_kind());
    Result<PodList> page = parse_pod_list(body, select_);
    if (!page) return failed(page.message());
    for (PodMetadata& p : page->pods) {
      count_cut(p.cut);
      if (pods.size() < cache_.capacity()) {
        pods.push_back(std::move(p));
      } else {
        ++left_out;
      }
    }
    resource_version = page->resource_version;
    continue_token = page->continue_token;
  } while (!continue_token.empty());
  const uint64_t n = pods.size() + left_out;
  cache_.replace(std::move(pods), left_out);
  counts_.lists.fetch_add(1);
  metrics_.lists.inc();
  cache_changed();
  // The backoff is not reset here but by the watch's first event: a LIST that works followed
  // by a watch that fails at once (410, 403) is not a recovery.
  last_error_.clear();
  spdlog::info("kubernetes api: {} pods listed{}{}", n, node_.empty() ? "" : " on node ", node_);
  return true;
}

PodWatcher::WatchEnd PodWatcher::watch(std::string& resource_version) {
  std::string pending;
  WatchEnd end = WatchEnd::kClosed;
  const KubeClient::Response r = client_.get(
      watch_path(resource_version),
      [&](std::string_view data) {
        if (pending.size() + data.size() > kMaxBody) return false;
        pending.append(data);
        size_t start = 0;
        for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
          if (!handle_line(std::string_view(pending).substr(start, nl - start), resource_version,
                           end)) {
            return false;
          }
        }
        pending.erase(0, start);
        return true;
      },
      std::chrono::seconds(kWatchSeconds + 30));
  if (stop_.load()) return WatchEnd::kClosed;
  if (end != WatchEnd::kClosed) return end;
  if (r.status == 410) return WatchEnd::kExpired;
  if (r.aborted || !r.error.empty()) {
    if (r.aborted) {
      failed("WATCH: a line larger than 64MiB");
    } else {
      failed(explained(r), r.failure_kind());
    }
    return WatchEnd::kFailed;
  }
  return WatchEnd::kClosed;
}

// One line of a watch stream; false ends the watch (`end` says how).
bool PodWatcher::handle_line(std::string_view line, std::string& resource_version, WatchEnd& end) {
  if (line.find_first_not_of(" \r\t") == std::string_view::npos) return true;
  Result<WatchEvent> event = parse_watch_event(line, select_);
  if (!event) {
    failed(event.message());
    end = WatchEnd::kFailed;
    return false;
  }
  if (event->type == WatchEventType::kError) {
    if (event->code == 410) {
      end = WatchEnd::kExpired;
    } else {
      failed("WATCH: error " + std::to_string(event->code) + ": " + event->message);
      end = WatchEnd::kFailed;
    }
    return false;
  }
  if (!event->resource_version.empty()) resource_version = event->resource_version;
  if (event->type != WatchEventType::kBookmark) {
    count_cut(event->pod.cut);
    cache_.apply(*event);
    counts_.events.fetch_add(1);
    metrics_.events.inc();
    cache_changed();
  }
  backoff_ = kMinBackoff;
  last_error_.clear();
  return true;
}

void PodWatcher::count_cut(uint64_t cut) {
  if (cut == 0) return;
  counts_.metadata_cut.fetch_add(cut);
  metrics_.metadata_cut.add(static_cast<double>(cut));
}

void PodWatcher::cache_changed() {
  metrics_.pods.set(static_cast<double>(cache_.size()));
  const uint64_t dropped = cache_.dropped();
  if (dropped > dropped_seen_) {
    metrics_.pods_dropped.add(static_cast<double>(dropped - dropped_seen_));
    dropped_seen_ = dropped;
  }
}

bool PodWatcher::failed(const std::string& message, const std::string& kind) {
  counts_.errors.fetch_add(1);
  metrics_.errors.inc();
  const std::string& key = kind.empty() ? message : kind;
  if (key != last_error_) {
    spdlog::warn("kubernetes api: {} (retried every {}s at most)", message,
                 kMaxBackoff.count() / 1000);
    last_error_ = key;
  }
  return false;
}

void PodWatcher::backoff() {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, backoff_, [this] { return stop_.load(); });
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

}  // namespace logagent::plugins::tail
