#include "plugins/parsers/regex/regex_parser.h"

#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace logagent::plugins::regex {
namespace {

// A copy of `name` that lives as long as the process. Called only when a stage is made; the set
// grows with the distinct group names of all configurations loaded (reloads add no duplicates).
std::string_view intern(const std::string& name) {
  static std::mutex mu;
  static std::set<std::string, std::less<>>* names = new std::set<std::string, std::less<>>();
  const std::lock_guard lock(mu);
  return *names->insert(name).first;
}

}  // namespace

RegexParser::RegexParser(std::unique_ptr<RE2> re) : re_(std::move(re)) {
  const auto n = static_cast<size_t>(re_->NumberOfCapturingGroups());
  keys_.resize(n);
  for (const auto& [index, name] : re_->CapturingGroupNames()) {
    keys_[static_cast<size_t>(index) - 1] = intern(name);
  }
  pieces_.resize(n);
  args_.reserve(n);
  arg_ptrs_.reserve(n);
  for (size_t i = 0; i < n; ++i) args_.emplace_back(&pieces_[i]);
  for (size_t i = 0; i < n; ++i) arg_ptrs_.push_back(&args_[i]);
}

RegexParser::RegexParser(const FormatScanner& scanner)
    : scanner_(&scanner),
      keys_(scanner.groups.begin(), scanner.groups.end()),
      slots_(scanner.groups.size()) {}

const char* RegexParser::parse_scanned(std::string_view text, FieldWriter& out) {
  if (!scanner_->scan(text, slots_.data())) return "regex: no match";
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (slots_[i].data() == nullptr) continue;  // did not take part
    out.add(keys_[i], slots_[i], FieldType::kString);
  }
  return nullptr;
}

const char* RegexParser::parse(std::string_view text, FieldWriter& out) {
  if (scanner_ != nullptr) return parse_scanned(text, out);
  if (!RE2::PartialMatchN(re2::StringPiece(text.data(), text.size()), *re_, arg_ptrs_.data(),
                          static_cast<int>(arg_ptrs_.size()))) {
    return "regex: no match";
  }
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].empty() || pieces_[i].data() == nullptr) continue;  // unnamed or unmatched
    out.add(keys_[i], std::string_view(pieces_[i].data(), pieces_[i].size()), FieldType::kString);
  }
  return nullptr;
}

Result<std::unique_ptr<Stage>> RegexStage::create(const Options& o, const PluginContext& ctx) {
  auto re = compile_pattern(o);
  if (!re) return re.status();
  const FormatScanner* scanner = o.format.empty() ? nullptr : find_format_scanner(o.format);
  auto parser = scanner != nullptr ? std::make_unique<RegexParser>(*scanner)
                                   : std::make_unique<RegexParser>(std::move(re.value()));
  return make_parser_stage(to_settings(o), std::move(parser),
                           ctx.metrics.with_default({{"stage", std::string(kName)}}));
}

}  // namespace logagent::plugins::regex
