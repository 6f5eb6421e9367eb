// Source identity and checkpoint records: what a file is, and how far it was delivered.
//
// A file is identified by (device, inode) plus a fingerprint: a 64-bit hash of its first
// `fp_len` bytes. The fingerprint grows with the file up to kFingerprintCap, so small files and
// files that share their first line are still told apart, and a reused inode holding other
// content is seen as a new file. Plain values; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace logagent {

inline constexpr uint32_t kFingerprintCap = 1024;

// 64-bit FNV-1a. Stable across versions: it is stored in checkpoint files.
inline uint64_t fingerprint_hash(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint32_t fp_len = 0;   // bytes hashed (0: empty file so far)
  uint64_t fp_hash = 0;  // fingerprint_hash of the first fp_len bytes
  // When the file was created (statx btime, ns since the epoch; 0: the filesystem does not say).
  // With the inode it names one file whatever its bytes become: an inode number is reused, an
  // inode and birth time are not.
  int64_t birth = 0;

  bool same_inode(const FileIdentity& o) const { return dev == o.dev && ino == o.ino; }
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

// One line of a checkpoint file: the identity, the path it was last seen at, and the offset up
// to which every byte was acknowledged by every sink.
struct CheckpointEntry {
  FileIdentity id;
  uint64_t offset = 0;
  std::string path;
};

}  // namespace logagent
