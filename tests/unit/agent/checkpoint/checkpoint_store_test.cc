#include "agent/checkpoint/checkpoint_store.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

using namespace logagent;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/logagent-ckpt-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};
}  // namespace

TEST_CASE("a saved checkpoint loads back the same entries, odd paths included") {
  TempDir dir;
  CheckpointStore store(dir.path + "/app.checkpoint");
  std::vector<CheckpointEntry> entries = {
      {FileIdentity{1, 2, 1024, 0xabcdef, 1764000000123456789}, 12345, "/var/log/app.log"},
      {FileIdentity{1, 3, 0, 0, 0}, 0, "/var/log/we ird\nname\\x.log"},
  };
  REQUIRE(store.save(entries).is_ok());
  auto loaded = store.load();
  REQUIRE(loaded.is_ok());
  CHECK(loaded->problem.empty());
  REQUIRE(loaded->entries.size() == 2);
  CHECK(loaded->entries[0].id == entries[0].id);
  CHECK(loaded->entries[0].id.birth == 1764000000123456789);
  CHECK(loaded->entries[1].id == entries[1].id);
  CHECK(loaded->entries[0].offset == 12345);
  CHECK(loaded->entries[1].path == entries[1].path);
  CHECK_FALSE(fs::exists(dir.path + "/app.checkpoint.tmp"));
}

TEST_CASE("a version 1 checkpoint (no birth times) still loads, birth unknown") {
  TempDir dir;
  const std::string path = dir.path + "/app.checkpoint";
  std::string text = "logagent-checkpoint 1\n1 2 10 00000000000000ff 77 /var/log/a b.log\n";
  text += fmt::format("end 1 {:016x}\n", fingerprint_hash(text));
  std::ofstream(path, std::ios::trunc) << text;
  auto loaded = CheckpointStore(path).load();
  REQUIRE(loaded.is_ok());
  CHECK(loaded->problem.empty());
  REQUIRE(loaded->entries.size() == 1);
  CHECK(loaded->entries[0].id == FileIdentity{1, 2, 10, 0xff, 0});
  CHECK(loaded->entries[0].offset == 77);
  CHECK(loaded->entries[0].path == "/var/log/a b.log");
}

TEST_CASE("a missing checkpoint is a first run, not an error") {
  TempDir dir;
  auto loaded = CheckpointStore(dir.path + "/none.checkpoint").load();
  REQUIRE(loaded.is_ok());
  CHECK(loaded->entries.empty());
  CHECK(loaded->problem.empty());
}

TEST_CASE("a torn or edited checkpoint is reported and set aside, not fatal") {
  TempDir dir;
  const std::string path = dir.path + "/app.checkpoint";
  CheckpointStore store(path);
  REQUIRE(store.save({{FileIdentity{1, 2, 3, 4}, 500, "/a.log"}}).is_ok());
  std::string text = CheckpointStore::serialize({{FileIdentity{1, 2, 3, 4}, 500, "/a.log"}});
  SUBCASE("torn") { text = text.substr(0, text.size() / 2); }
  SUBCASE("edited offset") { text.replace(text.find(" 500 "), 5, " 900 "); }
  SUBCASE("garbage") { text = "\x01\x02 not a checkpoint"; }
  std::ofstream(path, std::ios::trunc) << text;
  auto loaded = store.load();
  REQUIRE(loaded.is_ok());
  CHECK(loaded->entries.empty());
  CHECK(loaded->problem.find("corrupt") != std::string::npos);
  CHECK_FALSE(fs::exists(path));
  int aside = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    aside += e.path().filename().string().find("app.checkpoint.corrupt-") == 0;
  }
  CHECK(aside == 1);
}

TEST_CASE("a stale temp file from a crash mid-save does not affect the checkpoint") {
  TempDir dir;
  const std::string path = dir.path + "/app.checkpoint";
  CheckpointStore store(path);
  REQUIRE(store.save({{FileIdentity{9, 9, 0, 0}, 42, "/b.log"}}).is_ok());
  std::ofstream(path + ".tmp") << "logagent-checkpoint 1\n9 9 0 0000000000000000 99";
  auto loaded = store.load();
  REQUIRE(loaded.is_ok());
  REQUIRE(loaded->entries.size() == 1);
  CHECK(loaded->entries[0].offset == 42);
  REQUIRE(store.save({{FileIdentity{9, 9, 0, 0}, 43, "/b.log"}}).is_ok());
  CHECK(store.load()->entries[0].offset == 43);
}

TEST_CASE("saving into a missing directory fails with a message naming the path") {
  CheckpointStore store("/nonexistent-dir-logagent/x.checkpoint");
  Status st = store.save({});
  CHECK_FALSE(st.is_ok());
  CHECK(st.message().find("/nonexistent-dir-logagent/x.checkpoint.tmp") != std::string::npos);
}

TEST_CASE("two corrupt checkpoints within one second are both kept, neither overwritten") {
  TempDir dir;
  const std::string path = dir.path + "/app.checkpoint";
  CheckpointStore store(path);
  std::ofstream(path, std::ios::trunc) << "first garbage";
  REQUIRE(store.load().is_ok());
  std::ofstream(path, std::ios::trunc) << "second garbage";
  auto loaded = store.load();
  REQUIRE(loaded.is_ok());
  std::set<std::string> kept;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    if (e.path().filename().string().find("app.checkpoint.corrupt-") != 0) continue;
    std::ifstream in(e.path());
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    kept.insert(text);
    // The message names where the second one went.
    if (text == "second garbage") {
      CHECK(loaded->problem.find(e.path().string()) != std::string::npos);
    }
  }
  CHECK(kept == std::set<std::string>{"first garbage", "second garbage"});
}

TEST_CASE("entries without a position are written as version 2, as before positions existed") {
  const std::string text =
      CheckpointStore::serialize({{FileIdentity{1, 2, 0, 0, 0}, 7, "/var/log/a.log"}});
  CHECK(text.rfind("logagent-checkpoint 2\n1 2 0 0000000000000000 7 0 /var/log/a.log\n", 0) == 0);
}

TEST_CASE("positions (an input's cursor) load back as written, odd characters and empty included") {
  const std::vector<CheckpointEntry> entries = {
      {FileIdentity{0, 42, 0, 0, 0}, 900, "journal:/var/log/journal", "s=ab;i=1f;b=cd"},
      {FileIdentity{0, 43, 0, 0, 0}, 0, "journal:x", "a b\\c\nd\te"},
      {FileIdentity{0, 44, 0, 0, 0}, 0, "journal:dash", "-"},
      {FileIdentity{1, 2, 0, 0, 0}, 5, "/var/log/we ird.log", ""},
  };
  const std::string text = CheckpointStore::serialize(entries);
  CHECK(text.rfind("logagent-checkpoint 3\n", 0) == 0);
  auto parsed = CheckpointStore::parse(text);
  REQUIRE(parsed.is_ok());
  REQUIRE(parsed->size() == entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    CHECK(parsed.value()[i].id == entries[i].id);
    CHECK(parsed.value()[i].offset == entries[i].offset);
    CHECK(parsed.value()[i].path == entries[i].path);
    CHECK(parsed.value()[i].position == entries[i].position);
  }
}
