#include "plugins/inputs/tail/inotify_watcher.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "plugins/inputs/tail/tail_test_support.h"

namespace logagent::plugins::tail {

using namespace testing;  // NOLINT
using std::chrono::milliseconds;

TEST_CASE("the watcher reports new files as a rescan and writes as changes") {
  TempDir dir;
  InotifyWatcher watcher;
  REQUIRE_FALSE(watcher.polling());
  watcher.watch(dir.path());
  std::vector<std::string> changed;
  const InotifyWatcher::OnChange on_change = [&](std::string_view p, uint32_t, uint32_t) {
    changed.emplace_back(p);
  };
  write_file(dir / "a.log", "x\n");
  CHECK(watcher.wait(milliseconds(1000), on_change));
  changed.clear();
  append_file(dir / "a.log", "y\n");
  CHECK_FALSE(watcher.wait(milliseconds(1000), on_change));
  REQUIRE_FALSE(changed.empty());
  CHECK(changed.front() == dir / "a.log");
}

TEST_CASE("wake() ends a wait at once") {
  InotifyWatcher watcher;
  std::thread waker([&] {
    std::this_thread::sleep_for(milliseconds(20));
    watcher.wake();
  });
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(watcher.wait(milliseconds(5000), nullptr));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  waker.join();
}

TEST_CASE("a watcher without inotify polls and a wait is a plain timeout") {
  InotifyWatcher watcher(/*use_inotify=*/false);
  CHECK(watcher.polling());
  watcher.watch("/tmp");
  CHECK(watcher.watched_dirs() == 0);
  CHECK_FALSE(watcher.wait(milliseconds(1), nullptr));
}

}  // namespace logagent::plugins::tail
