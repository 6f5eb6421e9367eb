// Opening files and deciding where reading starts, through the syscall seam: every error return
// of open/fstat/readdir/pread, and the resume plans of checkpoints and read_from.
#include "plugins/inputs/tail/file_opener.h"

#include <doctest/doctest.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "fake_tail_sys.h"
#include "plugins/inputs/tail/fingerprint.h"
#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT

namespace {

FileIdentity identity_of(TailSys& sys, const std::string& path) {
  OpenedFile f = open_file(path, sys);
  REQUIRE(f.fd >= 0);
  const FileIdentity id = identify(f.fd, f.st, sys);
  sys.close(f.fd);
  return id;
}

}  // namespace

TEST_CASE("open_file opens a regular file with its stat") {
  TempDir dir;
  write_file(dir / "a.log", "abc\n");
  FakeTailSys sys;
  OpenedFile f = open_file(dir / "a.log", sys);
  REQUIRE(f.fd >= 0);
  CHECK(f.err == 0);
  CHECK(f.st.st_size == 4);
  CHECK(f.path == dir / "a.log");
  sys.close(f.fd);
}

TEST_CASE("open_file reports the errno of a failed open and holds no descriptor") {
  TempDir dir;
  write_file(dir / "a.log", "abc\n");
  FakeTailSys sys;
  for (const int err : {EACCES, EMFILE, ENOENT}) {
    CAPTURE(err);
    sys.fail(SysCall::kOpen, err, "a.log");
    const OpenedFile f = open_file(dir / "a.log", sys);
    CHECK(f.fd == -1);
    CHECK(f.err == err);
  }
  CHECK(open_file(dir / "missing.log", sys).err == ENOENT);
  CHECK(sys.open_fds() == 0);
}

TEST_CASE("open_file closes the descriptor when fstat fails, and reports fstat's errno") {
  TempDir dir;
  write_file(dir / "a.log", "abc\n");
  FakeTailSys sys;
  sys.fail(SysCall::kFstat, EIO, "a.log");
  const OpenedFile f = open_file(dir / "a.log", sys);
  CHECK(f.fd == -1);
  CHECK(f.err == EIO);
  CHECK(sys.open_fds() == 0);
}

TEST_CASE("open_file refuses what is not a regular file") {
  TempDir dir;
  FakeTailSys sys;
  const OpenedFile f = open_file(dir.path(), sys);
  CHECK(f.fd == -1);
  CHECK(f.err == EISDIR);
  CHECK(sys.open_fds() == 0);
}

TEST_CASE("find_by_identity finds a renamed file among its siblings, by inode and first bytes") {
  TempDir dir;
  write_file(dir / "a.log", "the file\n");
  write_file(dir / "other.log", "another\n");
  FakeTailSys sys;
  const FileIdentity id = identity_of(sys, dir / "a.log");
  REQUIRE(::rename((dir / "a.log").c_str(), (dir / "a.log.1").c_str()) == 0);
  OpenedFile f = find_by_identity(dir.path(), id, sys);
  REQUIRE(f.fd >= 0);
  CHECK(f.path == dir / "a.log.1");
  sys.close(f.fd);
  CHECK(sys.open_fds() == 0);
}

TEST_CASE("find_by_identity finds nothing when the directory or the file cannot be read") {
  TempDir dir;
  write_file(dir / "a.log", "the file\n");
  FakeTailSys sys;
  const FileIdentity id = identity_of(sys, dir / "a.log");
  sys.fail(SysCall::kListDir, EACCES, dir.path());
  CHECK(find_by_identity(dir.path(), id, sys).fd == -1);
  sys.fail(SysCall::kOpen, EMFILE, "a.log");  // the candidate cannot be opened: skipped
  CHECK(find_by_identity(dir.path(), id, sys).fd == -1);
  OpenedFile f = find_by_identity(dir.path(), id, sys);  // and found once it can
  CHECK(f.fd >= 0);
  sys.close(f.fd);
  CHECK(sys.open_fds() == 0);
}

TEST_CASE("tail_offset is just after the last newline; a failed read puts it at the end") {
  TempDir dir;
  write_file(dir / "a.log", "one\ntwo\nthr");
  FakeTailSys sys;
  OpenedFile f = open_file(dir / "a.log", sys);
  REQUIRE(f.fd >= 0);
  CHECK(tail_offset(f.fd, 11, sys) == 8);
  sys.fail(SysCall::kPread, EIO, "a.log");
  CHECK(tail_offset(f.fd, 11, sys) == 11);
  sys.close(f.fd);
}

TEST_CASE("a file with a checkpoint resumes at its offset; past its end, it starts again at 0") {
  TempDir dir;
  write_file(dir / "a.log", "one\ntwo\n");
  FakeTailSys sys;
  const FileIdentity id = identity_of(sys, dir / "a.log");
  OpenedFile f = open_file(dir / "a.log", sys);
  {
    ResumePlanner plan({{id, 4, dir / "a.log"}}, /*from_tail=*/false, sys);
    const StartPoint sp = plan.start_for(f);
    CHECK(sp.offset == 4);
    CHECK(sp.resumed);
    CHECK_FALSE(sp.truncated_while_down);
    CHECK(plan.start_for(f).offset == 0);  // an entry claims one file only
  }
  {
    ResumePlanner plan({{id, 100, dir / "a.log"}}, /*from_tail=*/false, sys);
    const StartPoint sp = plan.start_for(f);
    CHECK(sp.offset == 0);
    CHECK(sp.truncated_while_down);
  }
  sys.close(f.fd);
}

TEST_CASE("without a checkpoint, read_from tail starts after the last line at start-up only") {
  TempDir dir;
  write_file(dir / "a.log", "one\ntwo\n");
  FakeTailSys sys;
  OpenedFile f = open_file(dir / "a.log", sys);
  ResumePlanner plan({}, /*from_tail=*/true, sys);
  CHECK(plan.start_for(f, /*at_start=*/true).offset == 8);
  CHECK(plan.start_for(f, /*at_start=*/false).offset == 0);
  sys.close(f.fd);
}

TEST_CASE("an entry whose file was renamed while down is found; one not found is kept") {
  TempDir dir;
  write_file(dir / "a.log", "one\ntwo\n");
  write_file(dir / "b.log", "bbb\n");
  FakeTailSys sys;
  const FileIdentity a = identity_of(sys, dir / "a.log");
  const FileIdentity b = identity_of(sys, dir / "b.log");
  REQUIRE(::rename((dir / "a.log").c_str(), (dir / "a.log.1").c_str()) == 0);
  sys.fail(SysCall::kOpen, EACCES, "b.log");  // b.log cannot be opened now
  ResumePlanner plan({{a, 4, dir / "a.log"}, {b, 2, dir / "b.log"}}, false, sys);
  std::vector<ResumePlanner::Rotated> found = plan.find_rotated();
  REQUIRE(found.size() == 1);
  CHECK(found[0].file.path == dir / "a.log.1");
  CHECK(found[0].offset == 4);
  CHECK_FALSE(found[0].truncated);
  sys.close(found[0].file.fd);
  std::vector<ResumePlanner::Rotated> later = plan.find_rotated();  // b.log's entry is still there
  REQUIRE(later.size() == 1);
  CHECK(later[0].file.path == dir / "b.log");
  CHECK(later[0].offset == 2);
  sys.close(later[0].file.fd);
}

}  // namespace logagent::plugins::tail
