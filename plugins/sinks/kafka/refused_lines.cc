#include "plugins/sinks/kafka/refused_lines.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/api/source.h"

namespace logagent::plugins::kafka {

RefusedLines::Key RefusedLines::key_of(const Event& e) {
  return {e.offset, fingerprint_hash(e.message)};
}

Status RefusedLines::load() {
  std::ifstream in(path_);
  if (!in) return Status::ok();  // nothing remembered
  std::lock_guard lock(mu_);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::istringstream fields(line);
    uint64_t offset = 0;
    uint64_t hash = 0;
    int err = 0;
    if (!(fields >> offset >> std::hex >> hash >> std::dec >> err)) {
      return Status::error(path_ + ":" + std::to_string(n) + ": not <offset> <hash> <error>");
    }
    lines_[{offset, hash}] = Entry{static_cast<rd_kafka_resp_err_t>(err)};
  }
  count_.store(lines_.size(), std::memory_order_release);
  return Status::ok();
}

Status RefusedLines::add(const Event& e, rd_kafka_resp_err_t err) {
  std::lock_guard lock(mu_);
  lines_[key_of(e)] = Entry{err};
  count_.store(lines_.size(), std::memory_order_release);
  return save_locked();
}

rd_kafka_resp_err_t RefusedLines::find(const Event& e) {
  if (count_.load(std::memory_order_acquire) == 0) return RD_KAFKA_RESP_ERR_NO_ERROR;
  std::lock_guard lock(mu_);
  auto it = lines_.find(key_of(e));
  if (it == lines_.end()) return RD_KAFKA_RESP_ERR_NO_ERROR;
  it->second.found = true;
  return it->second.err;
}

Status RefusedLines::committed() {
  if (count_.load(std::memory_order_acquire) == 0) return Status::ok();
  std::lock_guard lock(mu_);
  const size_t before = lines_.size();
  std::erase_if(lines_, [](const auto& kv) { return kv.second.found; });
  if (lines_.size() == before) return Status::ok();
  count_.store(lines_.size(), std::memory_order_release);
  return save_locked();
}

Status RefusedLines::save_locked() {
  std::string text;
  for (const auto& [key, entry] : lines_) {
    char row[80];
    std::snprintf(row, sizeof(row), "%llu %016llx %d\n", static_cast<unsigned long long>(key.first),
                  static_cast<unsigned long long>(key.second), static_cast<int>(entry.err));
    text += row;
  }
  const std::string tmp = path_ + ".tmp";
  const std::filesystem::path p(path_);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return Status::error("cannot open " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return Status::error("cannot write " + tmp + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return Status::error("cannot sync " + tmp + ": " + std::strerror(errno));
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    return Status::error("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace logagent::plugins::kafka
