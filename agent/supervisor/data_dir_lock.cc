#include "agent/supervisor/data_dir_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace logagent {

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

Status DataDirLock::acquire(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  const std::string path = data_dir + "/logagent.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    spdlog::warn(
        "data_dir {}: cannot create {}: {}; a second agent on this data_dir would not "
        "be refused",
        data_dir, path, ::strerror(errno));
    return Status::ok();
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) {
      spdlog::warn("data_dir {}: cannot lock {}: {}", data_dir, path, ::strerror(err));
      return Status::ok();
    }
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return Status::error(fmt::format(
        "data_dir {} is in use by another logagent{}: two agents on one data_dir would overwrite "
        "each other's checkpoints; give each agent its own data_dir",
        data_dir, holder.empty() ? std::string() : " (pid " + holder + ")"));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock holds without the pid (a full disk): only the message loses its detail.
  }
  fd_ = fd;
  return Status::ok();
}

}  // namespace logagent
