#include "agent/checkpoint/checkpoint_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace logagent {
namespace {

constexpr std::string_view kHeader = "logagent-checkpoint 2\n";
constexpr std::string_view kHeaderV1 = "logagent-checkpoint 1\n";  // no birth times: read only
constexpr std::string_view kHeaderV3 = "logagent-checkpoint 3\n";  // with positions

// A position as one token without whitespace: "-" when empty; '\\', '\n', '\t', ' ' and a lone
// "-" escaped.
std::string escape_position(const std::string& position) {
  if (position.empty()) return "-";
  if (position == "-") return "\\-";
  std::string out;
  out.reserve(position.size());
  for (char c : position) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == ' ') {
      out += "\\s";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape_position(std::string_view token) {
  if (token == "-") return {};
  std::string out;
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '\\' && i + 1 < token.size()) {
      ++i;
      const char c = token[i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c == 's' ? ' ' : c;
    } else {
      out += token[i];
    }
  }
  return out;
}

std::string escape_path(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape_path(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
      out += s[i] == 'n' ? '\n' : s[i];
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string errno_text(const std::string& what, const std::string& path) {
  return fmt::format("{} {}: {}", what, path, std::strerror(errno));
}

Status write_all(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::error(errno_text("cannot write", path));
    }
    done += static_cast<size_t>(n);
  }
  return Status::ok();
}

}  // namespace

std::string CheckpointStore::serialize(const std::vector<CheckpointEntry>& entries) {
  // Version 2 while no entry has a position: what every file-only pipeline has always written.
  const bool v3 = std::any_of(entries.begin(), entries.end(),
                              [](const CheckpointEntry& e) { return !e.position.empty(); });
  std::string out(v3 ? kHeaderV3 : kHeader);
  for (const auto& e : entries) {
    out += fmt::format("{} {} {} {:016x} {} {} ", e.id.dev, e.id.ino, e.id.fp_len, e.id.fp_hash,
                       e.offset, e.id.birth);
    if (v3) out += escape_position(e.position) + ' ';
    out += escape_path(e.path) + '\n';
  }
  out += fmt::format("end {} {:016x}\n", entries.size(), fingerprint_hash(out));
  return out;
}

Result<std::vector<CheckpointEntry>> CheckpointStore::parse(const std::string& text) {
  const bool v1 = text.compare(0, kHeaderV1.size(), kHeaderV1) == 0;
  const bool v3 = text.compare(0, kHeaderV3.size(), kHeaderV3) == 0;
  if (!v1 && !v3 && text.compare(0, kHeader.size(), kHeader) != 0) {
    return Status::error("not a logagent checkpoint (version 1, 2 or 3 header missing)");
  }
  const size_t end_pos = text.rfind("end ");
  if (end_pos == std::string::npos || (end_pos > 0 && text[end_pos - 1] != '\n')) {
    return Status::error("truncated: no end line");
  }
  size_t count = 0;
  unsigned long long hash = 0;
  if (std::sscanf(text.c_str() + end_pos, "end %zu %llx", &count, &hash) != 2 ||
      text.back() != '\n') {
    return Status::error("malformed end line");
  }
  if (fingerprint_hash(std::string_view(text).substr(0, end_pos)) != hash) {
    return Status::error("checksum mismatch");
  }
  std::vector<CheckpointEntry> entries;
  static_assert(kHeader.size() == kHeaderV1.size() && kHeader.size() == kHeaderV3.size());
  std::istringstream in(text.substr(kHeader.size(), end_pos - kHeader.size()));
  std::string line;
  while (std::getline(in, line)) {
    CheckpointEntry e;
    unsigned long long dev = 0, ino = 0, fp_hash = 0, offset = 0;
    long long birth = 0;
    unsigned fp_len = 0;
    int consumed = 0;
    const int fields = v1 ? std::sscanf(line.c_str(), "%llu %llu %u %llx %llu %n", &dev, &ino,
                                        &fp_len, &fp_hash, &offset, &consumed)
                          : std::sscanf(line.c_str(), "%llu %llu %u %llx %llu %lld %n", &dev, &ino,
                                        &fp_len, &fp_hash, &offset, &birth, &consumed);
    if (fields != (v1 ? 5 : 6) || consumed <= 0) {
      return Status::error("malformed entry: " + line.substr(0, 80));
    }
    e.id = FileIdentity{dev, ino, fp_len, fp_hash, birth};
    e.offset = offset;
    std::string_view rest = std::string_view(line).substr(static_cast<size_t>(consumed));
    if (v3) {
      const size_t space = rest.find(' ');
      if (space == 0 || space == std::string_view::npos) {
        return Status::error("malformed entry (no position): " + line.substr(0, 80));
      }
      e.position = unescape_position(rest.substr(0, space));
      rest.remove_prefix(space + 1);
    }
    e.path = unescape_path(rest);
    entries.push_back(std::move(e));
  }
  if (entries.size() != count) return Status::error("entry count does not match end line");
  return entries;
}

Result<CheckpointLoad> CheckpointStore::load() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return CheckpointLoad{};
    return Status::error(errno_text("cannot read checkpoint", path_));
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) return Status::error(errno_text("cannot read checkpoint", path_));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto parsed = parse(text);
  if (parsed) return CheckpointLoad{std::move(parsed.value()), ""};
  // Never over an earlier one (two corrupt loads within a second): each is evidence.
  const std::time_t now = std::time(nullptr);
  std::string aside = fmt::format("{}.corrupt-{}", path_, now);
  for (int n = 1; ::access(aside.c_str(), F_OK) == 0; ++n) {
    aside = fmt::format("{}.corrupt-{}-{}", path_, now, n);
  }
  if (::rename(path_.c_str(), aside.c_str()) != 0) {
    return Status::error(fmt::format("checkpoint {} is corrupt ({}) and cannot be set aside: {}",
                                     path_, parsed.message(), std::strerror(errno)));
  }
  return CheckpointLoad{
      {},
      fmt::format("checkpoint {} is corrupt ({}); moved to {}", path_, parsed.message(), aside)};
}

Status CheckpointStore::save_text(const std::string& text) const {
  const std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Status::error(errno_text("cannot create", tmp));
  Status st = write_all(fd, text, tmp);
  if (st && ::fsync(fd) != 0) st = Status::error(errno_text("cannot fsync", tmp));
  if (::close(fd) != 0 && st) st = Status::error(errno_text("cannot close", tmp));
  if (!st) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    Status err = Status::error(errno_text("cannot rename checkpoint to", path_));
    ::unlink(tmp.c_str());
    return err;
  }
  const size_t slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Status::error(errno_text("cannot open directory", dir));
  const bool synced = ::fsync(dfd) == 0;
  ::close(dfd);
  if (!synced) return Status::error(errno_text("cannot fsync directory", dir));
  return Status::ok();
}

}  // namespace logagent
