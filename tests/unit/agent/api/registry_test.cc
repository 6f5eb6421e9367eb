// Registry: a name is taken once per plugin kind; a second registration is refused and reported.
#include "agent/api/registry.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

using namespace logagent;

namespace {

struct NoOptions {
  static const Schema<NoOptions>& schema() {
    static const Schema<NoOptions> s;
    return s;
  }
};

template <int Tag>
struct FakeSink {
  static constexpr std::string_view kName = "dup";
  using Options = NoOptions;
  static Result<std::unique_ptr<Sink>> create(const Options&, const PluginContext&) {
    return Status::error("fake " + std::to_string(Tag));
  }
};

struct FakeStage {
  static constexpr std::string_view kName = "dup";
  using Options = NoOptions;
  static Result<std::unique_ptr<Stage>> create(const Options&, const PluginContext&) {
    return Status::error("stage");
  }
};

}  // namespace

TEST_CASE("registry: a second plugin of one kind under a taken name is refused and reported") {
  Registry r;
  r.add_sink<FakeSink<1>>();
  CHECK(r.errors().empty());
  r.add_sink<FakeSink<2>>();
  REQUIRE(r.errors().size() == 1);
  CHECK(r.errors()[0] == "sink type 'dup' is registered twice: the second is ignored");
  CHECK(r.names(PluginKind::kSink).size() == 1);
  CHECK(r.all().size() == 1);
  // The first registration stays the one found.
  const PluginFactory* f = r.find(PluginKind::kSink, "dup");
  REQUIRE(f != nullptr);
  PluginContext ctx{};
  const NoOptions opts;
  auto made = f->make_sink(&opts, ctx);
  REQUIRE(!made);
  CHECK(made.status().message() == "fake 1");
}

TEST_CASE("registry: one name may be used by plugins of different kinds") {
  Registry r;
  r.add_sink<FakeSink<1>>();
  r.add_stage<FakeStage>();
  CHECK(r.errors().empty());
  CHECK(r.find(PluginKind::kStage, "dup") != nullptr);
  CHECK(r.find(PluginKind::kSink, "dup") != nullptr);
  CHECK(r.find(PluginKind::kInput, "dup") == nullptr);
}
