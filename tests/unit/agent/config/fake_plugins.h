// Tiny plugins for the configuration tests: they declare options and are never run.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/registry.h"

namespace logagent::testing {

enum class FakeStart { kHead, kTail };
constexpr std::array<std::string_view, 2> option_names(FakeStart) { return {"head", "tail"}; }

struct FakeTail {
  static constexpr std::string_view kName = "tail";
  struct Options {
    std::vector<std::string> paths;
    FakeStart read_from = FakeStart::kHead;
    ByteSize max_line_bytes{1ULL << 20};
    Duration scan_interval{std::chrono::seconds(1)};
    static const Schema<Options>& schema() {
      static const Schema<Options> s = [] {
        Schema<Options> r;
        r.field("paths", &Options::paths, "Globs of the files to follow.").required();
        r.field("read_from", &Options::read_from, "Where to start.");
        r.field("max_line_bytes", &Options::max_line_bytes, "Longer lines are cut.");
        r.field("scan_interval", &Options::scan_interval, "Rescan period.");
        return r;
      }();
      return s;
    }
  };
  static Result<std::unique_ptr<Input>> create(const Options&, const PluginContext&) {
    return Status::error("fake");
  }
};

struct FakeJson {
  static constexpr std::string_view kName = "json";
  struct Options {
    static const Schema<Options>& schema() {
      static const Schema<Options> s;
      return s;
    }
  };
  static Result<std::unique_ptr<Stage>> create(const Options&, const PluginContext&) {
    return Status::error("fake");
  }
};

struct FakeKafka {
  static constexpr std::string_view kName = "kafka";
  static constexpr bool kExactlyOnce = true;
  struct Options {
    std::vector<std::string> brokers;
    std::string topic;
    Duration linger{std::chrono::milliseconds(5)};
    bool compress = true;
    static const Schema<Options>& schema() {
      static const Schema<Options> s = [] {
        Schema<Options> r;
        r.field("brokers", &Options::brokers, "Bootstrap brokers, host:port.").required();
        r.field("topic", &Options::topic, "Topic | destination.").required();
        r.field("linger", &Options::linger, "How long to wait to fill a batch.");
        r.field("compress", &Options::compress, "Compress with zstd.");
        return r;
      }();
      return s;
    }
  };
  static Result<std::unique_ptr<Sink>> create(const Options&, const PluginContext&) {
    return Status::error("fake");
  }
};

struct FakeNull {
  static constexpr std::string_view kName = "null";
  struct Options {
    static const Schema<Options>& schema() {
      static const Schema<Options> s;
      return s;
    }
  };
  static Result<std::unique_ptr<Sink>> create(const Options&, const PluginContext&) {
    return Status::error("fake");
  }
};

inline Registry fake_registry() {
  Registry r;
  r.add_input<FakeTail>();
  r.add_stage<FakeJson>();
  r.add_sink<FakeKafka>();
  r.add_sink<FakeNull>();
  return r;
}

}  // namespace logagent::testing
