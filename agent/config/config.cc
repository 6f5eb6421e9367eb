// The configuration loader: YAML text → AgentConfig, every error collected with its position.
#include "agent/config/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include "agent/config/sections.h"

namespace logagent {
namespace {

using config_detail::kPipelineSections;
using config_detail::kRootSections;

bool valid_pipeline_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
  });
}

// "" or HOST:PORT (HOST may be a bracketed IPv6 address), PORT 1..65535.
bool valid_listen(std::string_view s) {
  if (s.empty()) return true;
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  const std::string_view host = s.substr(0, colon);
  if (host.front() == '[' && host.back() != ']') return false;
  if (host.front() != '[' && host.find(':') != std::string_view::npos) return false;
  uint32_t port = 0;
  for (char c : s.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return false;
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  return port >= 1 && port <= 65535;
}

// 127.0.0.0/8, ::1 or localhost.
bool loopback_listen(std::string_view s) {
  const std::string_view host = s.substr(0, s.rfind(':'));
  return host.starts_with("127.") || host == "localhost" || host == "[::1]";
}

// The deepest defined node along `keys` from `root` (for positions of absent keys).
ConfigNode locate(const ConfigNode& root, std::initializer_list<const char*> keys) {
  ConfigNode node = root;
  for (const char* key : keys) {
    ConfigNode next = node.child(key);
    if (!next.defined()) break;
    node = std::move(next);
  }
  return node;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class Loader {
 public:
  Loader(const Registry& registry, Diagnostics& diag) : registry_(registry), diag_(diag) {}

  void load(const ConfigNode& root, AgentConfig& out) {
    if (!root.defined()) {
      diag_.error(root, "no pipelines defined (the file is empty)");
      return;
    }
    if (!root.is_map()) {
      diag_.error(root, "expected a map of settings with a 'pipelines' list");
      return;
    }
    bind_sections(root, out);
    bind_pipelines(root, out.pipelines);
    if (diag_.ok()) check_own_outputs(root, out);
    if (diag_.ok()) check_pool_fit(root, out);
  }

 private:
  void bind_sections(const ConfigNode& root, AgentConfig& out) {
    (void)config_detail::root_schema().bind(root, out, diag_, kRootSections);
    if (out.checkpoint_keep_unclaimed.value.count() <= 0) {
      diag_.error(locate(root, {"checkpoint_keep_unclaimed"}),
                  "checkpoint_keep_unclaimed must be positive");
    }
    if (out.checkpoint_interval.value.count() <= 0) {
      diag_.error(locate(root, {"checkpoint_interval"}), "checkpoint_interval must be positive");
    }
    const ConfigNode metrics = root.child("metrics");
    if (config_detail::metrics_schema().bind(metrics, out, diag_) &&
        !valid_listen(out.metrics_listen)) {
      diag_.error(locate(root, {"metrics", "listen"}),
                  fmt::format("expected HOST:PORT such as 127.0.0.1:9464 (port 1 to 65535), or "
                              "\"\" to disable; got '{}'",
                              out.metrics_listen));
    } else if (!out.metrics_listen.empty() && !out.metrics_allow_remote &&
               !loopback_listen(out.metrics_listen)) {
      diag_.error(locate(root, {"metrics", "listen"}),
                  fmt::format("'{}' is not a loopback address: the listener would expose "
                              "metrics and POST /-/reload to the network; set "
                              "metrics.allow_remote: true to allow it (e.g. in a pod)",
                              out.metrics_listen));
    }
    if (config_detail::memory_schema().bind(root.child("memory"), out, diag_)) {
      check_memory(root, out);
    }
    (void)config_detail::log_schema().bind(root.child("log"), out, diag_);
  }

  void check_memory(const ConfigNode& root, const AgentConfig& c) {
    const uint64_t chunk = c.chunk_size.bytes;
    if (chunk < config_detail::kMinChunkSize || chunk > config_detail::kMaxChunkSize) {
      diag_.error(locate(root, {"memory", "chunk_size"}),
                  fmt::format("chunk_size must be between 4KiB and 64MiB, got {}",
                              format_value(c.chunk_size)));
    } else if (c.buffer_pool.bytes / 2 < chunk) {
      diag_.error(locate(root, {"memory", "buffer_pool"}),
                  fmt::format("buffer_pool ({}) must hold at least 2 chunks of chunk_size ({})",
                              format_value(c.buffer_pool), format_value(c.chunk_size)));
    }
  }

  // A pipeline whose input reads what its own sinks (or the agent's data_dir) write would feed
  // on itself forever. Patterns become a sample name to ask the input ('*' a UTC stamp, a
  // character class a digit).
  void check_own_outputs(const ConfigNode& root, const AgentConfig& agent) {
    auto sample = [](const std::string& pattern) {
      std::string out;
      for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '*') {
          out += "20260101T000000Z";
        } else if (pattern[i] == '?') {
          out += '0';
        } else if (pattern[i] == '[') {
          const size_t end = pattern.find(']', i);
          out += '0';
          i = end == std::string::npos ? pattern.size() : end;
        } else {
          out += pattern[i];
        }
      }
      return out;
    };
    const ConfigNode list = root.child("pipelines");
    std::error_code ec;
    const std::string data_dir =
        std::filesystem::absolute(agent.data_dir, ec).lexically_normal().string();
    for (size_t p = 0; p < agent.pipelines.size(); ++p) {
      const PipelineConfig& pc = agent.pipelines[p];
      if (pc.input.factory == nullptr || !pc.input.factory->reads) continue;
      auto reads = [&](const std::string& path) {
        return pc.input.factory->reads(pc.input.options.get(), path);
      };
      const ConfigNode pnode = list.at(p);
      if (!ec && reads(data_dir + "/" + pc.name + ".checkpoint")) {
        diag_.error(pnode.child("input"),
                    fmt::format("this input reads the agent's data_dir ({}): it would read its own "
                                "checkpoints; move data_dir outside the input's paths",
                                agent.data_dir));
      }
      for (size_t i = 0; i < pc.sinks.size(); ++i) {
        const PluginConfig& sink = pc.sinks[i];
        if (sink.factory == nullptr || !sink.factory->writes) continue;
        for (const std::string& pattern : sink.factory->writes(sink.options.get())) {
          if (!reads(sample(pattern))) continue;
          diag_.error(pnode.child("sinks").at(i),
                      fmt::format("sink {} writes {}, which this pipeline's input reads: it would "
                                  "read its own output forever; write elsewhere, or exclude it",
                                  sink.type, pattern));
          break;
        }
      }
    }
  }

  // Options an input cannot honour within the buffer pool: warnings at the option, or at the
  // nearest node written (an option left at its default: the input).
  void check_pool_fit(const ConfigNode& root, const AgentConfig& agent) {
    const PoolSettings pool{agent.buffer_pool.bytes, agent.chunk_size.bytes};
    const ConfigNode list = root.child("pipelines");
    for (size_t p = 0; p < agent.pipelines.size(); ++p) {
      const PluginConfig& input = agent.pipelines[p].input;
      if (input.factory == nullptr || !input.factory->pool_warnings) continue;
      for (const OptionWarning& w : input.factory->pool_warnings(input.options.get(), pool)) {
        ConfigNode at = list.at(p).child("input");
        for (size_t from = 0; from <= w.option.size();) {
          const size_t dot = std::min(w.option.find('.', from), w.option.size());
          if (!at.is_map() || !at.child(w.option.substr(from, dot - from)).defined()) break;
          at = at.child(w.option.substr(from, dot - from));
          from = dot + 1;
        }
        diag_.set_context("(" + input.type + ")");
        diag_.warning(at, w.message);
        diag_.set_context("");
      }
    }
  }

  void bind_pipelines(const ConfigNode& root, std::vector<PipelineConfig>& out) {
    const ConfigNode node = root.child("pipelines");
    if (!node.defined()) {
      diag_.error(root, "no pipelines defined; add a 'pipelines' list with at least one pipeline");
      return;
    }
    if (!node.is_sequence() || node.size() == 0) {
      diag_.error(node, "expected a list of at least one pipeline");
      return;
    }
    std::map<std::string, std::string> first_seen;  // name → where
    for (size_t i = 0; i < node.size(); ++i) {
      const ConfigNode p = node.at(i);
      PipelineConfig pipeline = bind_pipeline(p);
      if (!pipeline.name.empty()) {
        const ConfigNode name = p.child("name");
        auto [it, fresh] = first_seen.emplace(pipeline.name, name.where());
        if (!fresh) {
          diag_.error(name, fmt::format("duplicate pipeline name '{}' (first defined at {})",
                                        pipeline.name, it->second));
        }
      }
      out.push_back(std::move(pipeline));
    }
  }

  PipelineConfig bind_pipeline(const ConfigNode& node) {
    PipelineConfig out;
    if (!node.defined() || !node.is_map()) {
      diag_.error(node, "expected a pipeline: a map with name, input and sinks");
      return out;
    }
    (void)config_detail::pipeline_schema().bind(node, out, diag_, kPipelineSections);
    out.fingerprint = node.expanded_dump();
    check_pipeline(node, out);
    if (!valid_pipeline_name(out.name)) out.name.clear();  // reported; no duplicate check
    const ConfigNode input = node.child("input");
    if (!input.defined()) {
      diag_.error(node, "missing required option 'input'");
    } else if (auto bound = bind_plugin(input, PluginKind::kInput)) {
      out.input = std::move(*bound);
    }
    bind_plugin_list(node, "stages", PluginKind::kStage, out.stages);
    bind_plugin_list(node, "sinks", PluginKind::kSink, out.sinks);
    if (out.delivery == Delivery::kExactlyOnce) check_exactly_once(node, out);
    return out;
  }

  // delivery: exactly_once needs one sink, of a type that offers transactions.
  void check_exactly_once(const ConfigNode& node, const PipelineConfig& p) {
    if (node.child("sinks").is_sequence() && node.child("sinks").size() > 1) {
      diag_.error(node.child("delivery"), "delivery: exactly_once needs exactly one sink");
      return;
    }
    if (p.sinks.size() != 1 || p.sinks[0].factory->exactly_once) return;
    std::vector<std::string> offering;
    for (const PluginFactory* f : registry_.all()) {
      if (f->kind == PluginKind::kSink && f->exactly_once) offering.push_back(f->name);
    }
    std::sort(offering.begin(), offering.end());
    diag_.error(
        node.child("delivery"),
        fmt::format("delivery: exactly_once: sink '{}' (at {}) cannot deliver exactly once "
                    "(it has no transactions); use delivery: at_least_once with it{}",
                    p.sinks[0].type, p.sinks[0].where,
                    offering.empty() ? std::string()
                                     : fmt::format(", or a sink of type {}", join(offering))));
  }

  void check_pipeline(const ConfigNode& node, const PipelineConfig& p) {
    if (node.child("name").is_scalar() && !valid_pipeline_name(p.name)) {
      diag_.error(
          node.child("name"),
          fmt::format("pipeline name '{}' may use only letters, digits, '_', '.' and '-'", p.name));
    }
    if (p.workers < 1 || p.workers > config_detail::kMaxWorkers) {
      diag_.error(node.child("workers"),
                  fmt::format("workers must be between 1 and 64, got {}", p.workers));
    }
    if (p.queue_size < 1 || p.queue_size > config_detail::kMaxQueueSize) {
      diag_.error(node.child("queue_size"),
                  fmt::format("queue_size must be between 1 and 4096, got {}", p.queue_size));
    }
  }

  void bind_plugin_list(const ConfigNode& pipeline, const char* key, PluginKind kind,
                        std::vector<PluginConfig>& out) {
    const ConfigNode list = pipeline.child(key);
    const bool required = kind == PluginKind::kSink;
    if (!list.defined()) {
      if (required) diag_.error(pipeline, fmt::format("missing required option '{}'", key));
      return;
    }
    if (!list.is_sequence()) {
      diag_.error(list, fmt::format("expected a list of {}, each a map with 'type'", key));
      return;
    }
    if (required && list.size() == 0) {
      diag_.error(list, fmt::format("at least one {} is required", to_string(kind)));
    }
    for (size_t i = 0; i < list.size(); ++i) {
      if (auto bound = bind_plugin(list.at(i), kind)) out.push_back(std::move(*bound));
    }
  }

  std::optional<PluginConfig> bind_plugin(const ConfigNode& node, PluginKind kind) {
    if (!node.defined() || !node.is_map()) {
      diag_.error(node,
                  fmt::format("expected a map with 'type' and the {}'s options", to_string(kind)));
      return std::nullopt;
    }
    const ConfigNode type_node = node.child("type");
    if (!type_node.defined()) {
      if (type_node.present()) {  // `type: null`, `type: ~` or `type:` -- YAML's null
        diag_.error(type_node,
                    "option 'type' has no value (YAML reads null, ~ and an empty value as "
                    "nothing; quote a type named null: type: \"null\")");
      } else {
        diag_.error(node, "missing required option 'type'");
      }
      return std::nullopt;
    }
    std::string type;
    if (!read_value(type_node, type, diag_)) return std::nullopt;
    const PluginFactory* factory = registry_.find(kind, type);
    if (factory == nullptr) {
      diag_.error(type_node, unknown_type_message(kind, type));
      return std::nullopt;
    }
    diag_.set_context("(" + type + ")");
    std::shared_ptr<const void> options = factory->bind(node, diag_);
    diag_.set_context("");
    if (!options) return std::nullopt;
    return PluginConfig{type, factory, std::move(options), node.where()};
  }

  std::string unknown_type_message(PluginKind kind, const std::string& type) const {
    std::string message = fmt::format("unknown {} type '{}'", to_string(kind), type);
    for (PluginKind other : {PluginKind::kInput, PluginKind::kStage, PluginKind::kSink}) {
      if (other != kind && registry_.find(other, type) != nullptr) {
        return message +
               fmt::format(" ('{}' is a {}, not a {})", type, to_string(other), to_string(kind));
      }
    }
    std::vector<std::string> names = registry_.names(kind);
    std::sort(names.begin(), names.end());
    const std::string hint = did_you_mean(type, names);
    if (!hint.empty()) return message + fmt::format("; did you mean '{}'?", hint);
    if (names.empty()) return message + fmt::format(" (no {} is registered)", to_string(kind));
    return message + fmt::format(" (available: {})", join(names));
  }

  const Registry& registry_;
  Diagnostics& diag_;
};

}  // namespace

std::optional<AgentConfig> load_config_text(const std::string& text, const std::string& name,
                                            const Registry& registry, Diagnostics& diag) {
  const size_t before = diag.errors().size();
  AgentConfig config;
  auto file = std::make_shared<const ConfigFile>(ConfigFile{name});
  if (auto root = ConfigNode::parse(text, file, diag)) Loader(registry, diag).load(*root, config);
  if (diag.errors().size() != before) return std::nullopt;
  return config;
}

std::optional<AgentConfig> load_config(const std::string& path, const Registry& registry,
                                       Diagnostics& diag) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    diag.error(fmt::format("{}: cannot open the configuration: {}", path, std::strerror(errno)));
    return std::nullopt;
  }
  std::string text;
  char buf[8192];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  const int saved_errno = errno;
  std::fclose(f);
  if (failed) {
    diag.error(
        fmt::format("{}: cannot read the configuration: {}", path, std::strerror(saved_errno)));
    return std::nullopt;
  }
  return load_config_text(text, path, registry, diag);
}

}  // namespace logagent
