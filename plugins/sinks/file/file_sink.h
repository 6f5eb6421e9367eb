// The "file" sink: events appended to one file, raw or json. Acknowledges after write(2), or
// after fdatasync(2) with `fsync: true`. Parent directories are created.
#pragma once

#include "agent/api/options.h"
#include "agent/api/plugin.h"

namespace logagent::plugins::file_sink {

struct FileOptions {
  std::string path;
  std::string format = "raw";
  bool fsync = false;
  static const Schema<FileOptions>& schema();
};

struct FileSink {
  static constexpr std::string_view kName = "file";
  using Options = FileOptions;
  static Result<std::unique_ptr<Sink>> create(const Options& o, const PluginContext& ctx);
};

}  // namespace logagent::plugins::file_sink
