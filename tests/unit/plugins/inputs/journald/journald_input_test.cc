// The journald input's checkpoint identity: what lets a restart find its saved cursor.
#include "plugins/inputs/journald/journald_input.h"

#include <doctest/doctest.h>

namespace logagent::plugins::journald {

TEST_CASE("a journal's checkpoint identity is stable across runs and differs between journals") {
  const FileIdentity a = JournaldInput::identity("journal:/var/log/journal");
  CHECK(a == JournaldInput::identity("journal:/var/log/journal"));
  CHECK_FALSE(a.same_inode(JournaldInput::identity("journal:/other")));
  CHECK_FALSE(a.same_inode(JournaldInput::identity("journal")));
  CHECK(a.dev == 0);  // no mounted file system has device 0: a file's entry is never claimed
}

TEST_CASE("a journald input with both a directory and files is refused at creation") {
  JournaldOptions o;
  o.directory = "/var/log/journal";
  o.files = {"/x.journal"};
  auto made = JournaldInput::create(o, PluginContext{});
  CHECK_FALSE(made.is_ok());
}

}  // namespace logagent::plugins::journald
