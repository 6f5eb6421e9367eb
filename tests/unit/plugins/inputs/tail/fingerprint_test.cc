// Fingerprints through the syscall seam: what identify() hashes, how refresh() and match_file()
// tell a grown file from a rewritten one or another file, and what a failed read or statx does.
#include "plugins/inputs/tail/fingerprint.h"

#include <doctest/doctest.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "fake_tail_sys.h"
#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT

namespace {

// An open descriptor through `sys` and its stat, closed at the end of the scope.
struct Opened {
  Opened(TailSys& s, const std::string& path) : sys(s) {
    fd = sys.open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(sys.fstat(fd, &st) == 0);
  }
  ~Opened() { sys.close(fd); }
  TailSys& sys;
  int fd = -1;
  struct stat st {};
};

}  // namespace

TEST_CASE("identify hashes the first bytes of a file, at most kFingerprintCap of them") {
  TempDir dir;
  write_file(dir / "small", "hello\n");
  write_file(dir / "big", std::string(3000, 'x'));
  FakeTailSys sys;
  Opened small(sys, dir / "small");
  const FileIdentity a = identify(small.fd, small.st, sys);
  CHECK(a.fp_len == 6);
  CHECK(a.fp_hash == fingerprint_hash("hello\n"));
  CHECK(a.ino == static_cast<uint64_t>(small.st.st_ino));
  Opened big(sys, dir / "big");
  const FileIdentity b = identify(big.fd, big.st, sys);
  CHECK(b.fp_len == kFingerprintCap);
  CHECK(b.fp_hash == fingerprint_hash(std::string(kFingerprintCap, 'x')));
}

TEST_CASE(
    "a failed read while identifying gives a shorter fingerprint, grown at the next refresh") {
  TempDir dir;
  write_file(dir / "a.log", "hello\n");
  FakeTailSys sys;
  Opened f(sys, dir / "a.log");
  sys.fail(SysCall::kPread, EIO, "a.log");
  const FileIdentity id = identify(f.fd, f.st, sys);
  CHECK(id.fp_len == 0);
  const Refreshed r = refresh(f.fd, f.st, id, sys);
  CHECK(r.matches);
  CHECK(r.current.fp_len == 6);
}

TEST_CASE("refresh: the first bytes unchanged match and grow; changed ones do not match") {
  TempDir dir;
  write_file(dir / "a.log", "one\n");
  FakeTailSys sys;
  FileIdentity id;
  {
    Opened f(sys, dir / "a.log");
    id = identify(f.fd, f.st, sys);
  }
  append_file(dir / "a.log", "two\n");
  {
    Opened f(sys, dir / "a.log");
    const Refreshed r = refresh(f.fd, f.st, id, sys);
    CHECK(r.matches);
    CHECK(r.err == 0);
    CHECK(r.current.fp_len == 8);
  }
  write_file(dir / "a.log", "ONE\ntwo\n");  // rewritten in place, same inode
  Opened f(sys, dir / "a.log");
  CHECK_FALSE(refresh(f.fd, f.st, id, sys).matches);
}

TEST_CASE("refresh reports a failed read instead of a mismatch") {
  TempDir dir;
  write_file(dir / "a.log", "one\n");
  FakeTailSys sys;
  Opened f(sys, dir / "a.log");
  const FileIdentity id = identify(f.fd, f.st, sys);
  sys.fail(SysCall::kPread, EIO, "a.log");
  const Refreshed r = refresh(f.fd, f.st, id, sys);
  CHECK(r.err == EIO);
  CHECK_FALSE(r.matches);
  sys.fail(SysCall::kPread, EINTR, "a.log");  // interrupted: tried again
  const Refreshed again = refresh(f.fd, f.st, id, sys);
  CHECK(again.err == 0);
  CHECK(again.matches);
}

TEST_CASE("birth_ns is the statx birth time, 0 when statx fails") {
  TempDir dir;
  write_file(dir / "a.log", "x\n");
  FakeTailSys sys;
  Opened f(sys, dir / "a.log");
  sys.set_birth_ns(42'000'000'123);
  CHECK(birth_ns(f.fd, sys) == 42'000'000'123);
  sys.fail(SysCall::kFstatx, ENOSYS, "a.log");
  CHECK(birth_ns(f.fd, sys) == 0);
}

TEST_CASE("match_file: another inode is other; with birth times a rewrite is told from a reuse") {
  TempDir dir;
  write_file(dir / "a.log", "first bytes\n");
  write_file(dir / "b.log", "first bytes\n");
  FakeTailSys sys;
  sys.set_birth_ns(5'000'000'000);
  FileIdentity saved;
  {
    Opened f(sys, dir / "a.log");
    saved = identify(f.fd, f.st, sys);
  }
  REQUIRE(saved.birth == 5'000'000'000);
  {
    Opened b(sys, dir / "b.log");
    CHECK(match_file(b.fd, b.st, saved, sys) == Match::other);
  }
  {
    Opened a(sys, dir / "a.log");
    CHECK(match_file(a.fd, a.st, saved, sys) == Match::same);
    CHECK(same_file(a.fd, a.st, saved, sys));
  }
  write_file(dir / "a.log", "other bytes!\n");
  {
    Opened a(sys, dir / "a.log");
    CHECK(match_file(a.fd, a.st, saved, sys) == Match::rewritten);
    sys.set_birth_ns(6'000'000'000);  // born since on the same inode number: another file
    CHECK(match_file(a.fd, a.st, saved, sys) == Match::other);
  }
  // Without birth times only the fingerprint can tell: a rewritten file is taken for another.
  saved.birth = 0;
  Opened a(sys, dir / "a.log");
  CHECK(match_file(a.fd, a.st, saved, sys) == Match::other);
}

TEST_CASE("an identity by inode alone names whatever file has that inode now") {
  TempDir dir;
  write_file(dir / "a.log", "some bytes\n");
  FakeTailSys sys;
  Opened f(sys, dir / "a.log");
  const FileIdentity id =
      inode_identity(static_cast<uint64_t>(f.st.st_dev), static_cast<uint64_t>(f.st.st_ino));
  CHECK(id.fp_len == 0);
  CHECK(match_file(f.fd, f.st, id, sys) == Match::same);
  FileIdentity other = id;
  other.ino += 1;
  CHECK(match_file(f.fd, f.st, other, sys) == Match::other);
}

}  // namespace logagent::plugins::tail
