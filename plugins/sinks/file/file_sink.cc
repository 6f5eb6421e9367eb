#include "plugins/sinks/file/file_sink.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "agent/api/fd_sink.h"

namespace logagent::plugins::file_sink {

const Schema<FileOptions>& FileOptions::schema() {
  static const Schema<FileOptions> s =
      Schema<FileOptions>()
          .field("path", &FileOptions::path,
                 "File to append events to; parent directories are created.")
          .required()
          .field("format", &FileOptions::format,
                 "raw: the line as read, then a newline; json: one object a line.")
          .one_of({"raw", "json"})
          .field("fsync", &FileOptions::fsync,
                 "Acknowledge only after fdatasync(2): durable across power loss, slower.")
          .rule([](const FileOptions& o) -> std::optional<std::string> {
            if (o.path.empty()) return "path must not be empty";
            return std::nullopt;
          });
  return s;
}

Result<std::unique_ptr<Sink>> FileSink::create(const Options& o, const PluginContext& ctx) {
  const std::filesystem::path path(o.path);
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return Status::error("cannot create directory for " + o.path + ": " + ec.message());
  }
  const int fd = ::open(o.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error("cannot open " + o.path + ": " + std::strerror(errno));
  return std::unique_ptr<Sink>(std::make_unique<FdSink>(
      fd, true, "file " + o.path, FdSink::parse_format(o.format), o.fsync, ctx));
}

}  // namespace logagent::plugins::file_sink
