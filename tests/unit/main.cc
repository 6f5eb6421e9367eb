// The unit tests' main: doctest's, once spdlog's default logger exists. The agent sets its log up
// in main() before any thread starts; so must the tests. Otherwise the first test to log builds
// spdlog's registry (a function-local static inside libspdlog) on one thread while a pipeline
// thread of the same test logs next. The static's fast-path guard check is an acquire load in
// libspdlog, which is not built with TSan, so TSan cannot see that ordering and reports a race
// on the default logger (seen in CI: exactly_once_test, the fenced transaction's abort).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  spdlog::default_logger();  // the registry built here, before any test starts a thread
  doctest::Context context(argc, argv);
  return context.run();
}
