// Binding of YAML nodes to typed options: positions, paths, value readers, key checks.
// The text parsers (sizes, durations, ${VAR}) and format_value() are in options_text.cc.
#include "agent/api/options.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <set>
#include <system_error>

namespace logagent {
namespace {

// The expanded scalar of `node`, or an error "expected WHAT, got a map".
std::optional<std::string> scalar_of(const ConfigNode& node, std::string_view what,
                                     Diagnostics& diag) {
  if (!node.is_scalar()) {
    diag.error(node, fmt::format("expected {}, got {}", what, node.kind()));
    return std::nullopt;
  }
  std::string error;
  auto expanded = expand_env(node.raw_scalar(), &error);
  if (!expanded) diag.error(node, error);
  return expanded;
}

template <class I>
bool read_integer(const ConfigNode& node, I& out, Diagnostics& diag) {
  auto text = scalar_of(node, "an integer", diag);
  if (!text) return false;
  int64_t wide = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, wide);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc() && ptr == end &&
       (wide < static_cast<int64_t>(std::numeric_limits<I>::min()) ||
        (wide > 0 &&
         static_cast<uint64_t>(wide) > static_cast<uint64_t>(std::numeric_limits<I>::max()))))) {
    diag.error(node, fmt::format("{} is out of range ({} to {})", *text,
                                 std::numeric_limits<I>::min(), std::numeric_limits<I>::max()));
    return false;
  }
  if (ec != std::errc() || ptr != end || text->empty()) {
    diag.error(node, fmt::format("expected an integer, got '{}'", *text));
    return false;
  }
  out = static_cast<I>(wide);
  return true;
}

bool is_plain_number(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Replaces every scalar value under `node` (a deep copy) by its ${VAR} expansion.
void expand_scalars(YAML::Node node) {
  if (node.IsScalar()) {
    if (auto expanded = expand_env(node.Scalar(), nullptr)) node = *expanded;
  } else if (node.IsSequence()) {
    for (YAML::Node element : node) expand_scalars(element);
  } else if (node.IsMap()) {
    for (auto kv : node) expand_scalars(kv.second);
  }
}

std::string mark_prefix(const std::string& name, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return name;
  return fmt::format("{}:{}:{}", name, mark.line + 1, mark.column + 1);
}

}  // namespace

std::optional<ConfigNode> ConfigNode::parse(std::string_view text,
                                            std::shared_ptr<const ConfigFile> file,
                                            Diagnostics& diag, std::string path) {
  const std::string name = file ? file->name : std::string("<config>");
  try {
    return ConfigNode(YAML::Load(std::string(text)), std::move(file), std::move(path));
  } catch (const YAML::Exception& e) {
    diag.error(fmt::format("{}: {}", mark_prefix(name, e.mark), e.msg));
    return std::nullopt;
  }
}

ConfigNode::ConfigNode(const YAML::Node& node, std::shared_ptr<const ConfigFile> file,
                       std::string path)
    : node_(std::make_shared<const YAML::Node>(node)),
      file_(std::move(file)),
      path_(std::move(path)) {}

bool ConfigNode::defined() const { return node_->IsDefined() && !node_->IsNull(); }
bool ConfigNode::present() const { return node_->IsDefined(); }
bool ConfigNode::is_map() const { return node_->IsDefined() && node_->IsMap(); }
bool ConfigNode::is_sequence() const { return node_->IsDefined() && node_->IsSequence(); }
bool ConfigNode::is_scalar() const { return node_->IsDefined() && node_->IsScalar(); }
size_t ConfigNode::size() const { return is_map() || is_sequence() ? node_->size() : 0; }
std::string ConfigNode::raw_scalar() const { return is_scalar() ? node_->Scalar() : std::string(); }
std::string ConfigNode::dump() const { return node_->IsDefined() ? YAML::Dump(*node_) : ""; }

std::string ConfigNode::expanded_dump() const {
  if (!node_->IsDefined()) return "";
  YAML::Node copy = YAML::Clone(*node_);
  expand_scalars(copy);
  return YAML::Dump(copy);
}

std::string_view ConfigNode::kind() const {
  if (!node_->IsDefined()) return "an empty value";
  switch (node_->Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "an empty value";
  }
}

std::vector<ConfigEntry> ConfigNode::entries() const {
  std::vector<ConfigEntry> out;
  if (!is_map()) return out;
  for (const auto& kv : *node_) {
    std::string name = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    ConfigNode key(kv.first, file_, path_);
    ConfigNode value(kv.second, file_, path_.empty() ? name : path_ + "." + name);
    out.push_back(ConfigEntry{std::move(key), std::move(value), std::move(name)});
  }
  return out;
}

std::string ConfigNode::where() const {
  const std::string name = file_ ? file_->name : std::string("<config>");
  if (!node_->IsDefined()) return name;
  const YAML::Mark mark = node_->Mark();
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return name;
  return fmt::format("{}:{}:{}", name, mark.line + 1, mark.column + 1);
}

ConfigNode ConfigNode::child(const std::string& key) const {
  std::string path = path_.empty() ? key : path_ + "." + key;
  if (is_map()) {
    YAML::Node c = (*node_)[key];
    if (c.IsDefined()) return ConfigNode(c, file_, std::move(path));
  }
  return ConfigNode(YAML::Node(YAML::NodeType::Undefined), file_, std::move(path));
}

ConfigNode ConfigNode::at(size_t index) const {
  std::string path = fmt::format("{}[{}]", path_, index);
  if (is_sequence() && index < node_->size()) {
    return ConfigNode((*node_)[index], file_, std::move(path));
  }
  return ConfigNode(YAML::Node(YAML::NodeType::Undefined), file_, std::move(path));
}

std::optional<std::string> ConfigNode::scalar(Diagnostics& diag) const {
  return scalar_of(*this, "a single value", diag);
}

namespace {

std::string located(const ConfigNode& at, const std::string& context, std::string_view message) {
  std::string label = at.path();
  if (!context.empty()) label += (label.empty() ? "" : " ") + context;
  if (label.empty()) return fmt::format("{}: {}", at.where(), message);
  return fmt::format("{}: {}: {}", at.where(), label, message);
}

}  // namespace

void Diagnostics::error(const ConfigNode& at, std::string_view message) {
  errors_.push_back(located(at, context_, message));
}

void Diagnostics::warning(const ConfigNode& at, std::string_view message) {
  warnings_.push_back(located(at, context_, fmt::format("warning: {}", message)));
}

// --- value readers ----------------------------------------------------------------------------

bool read_value(const ConfigNode& node, std::string& out, Diagnostics& diag) {
  auto text = scalar_of(node, "a string", diag);
  if (!text) return false;
  out = std::move(*text);
  return true;
}

bool read_choice(const ConfigNode& node, std::span<const std::string_view> names, size_t& index,
                 Diagnostics& diag) {
  std::string list;
  for (std::string_view name : names) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  auto text = scalar_of(node, "one of " + list, diag);
  if (!text) return false;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == *text) {
      index = i;
      return true;
    }
  }
  diag.error(node, fmt::format("'{}' is not one of: {}", *text, list));
  return false;
}

bool read_value(const ConfigNode& node, bool& out, Diagnostics& diag) {
  auto text = scalar_of(node, "true or false", diag);
  if (!text) return false;
  const std::string v = lower(*text);
  if (v == "true" || v == "yes" || v == "on") {
    out = true;
  } else if (v == "false" || v == "no" || v == "off") {
    out = false;
  } else {
    diag.error(node, fmt::format("expected true or false, got '{}'", *text));
    return false;
  }
  return true;
}

bool read_value(const ConfigNode& node, int64_t& out, Diagnostics& diag) {
  return read_integer(node, out, diag);
}

bool read_value(const ConfigNode& node, uint64_t& out, Diagnostics& diag) {
  auto text = scalar_of(node, "an integer", diag);
  if (!text) return false;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, out);
  if (ec == std::errc::result_out_of_range) {
    diag.error(node, fmt::format("{} is out of range (0 to {})", *text,
                                 std::numeric_limits<uint64_t>::max()));
    return false;
  }
  if (ec != std::errc() || ptr != end) {
    diag.error(node, fmt::format("expected a non-negative integer, got '{}'", *text));
    return false;
  }
  return true;
}

bool read_value(const ConfigNode& node, uint32_t& out, Diagnostics& diag) {
  return read_integer(node, out, diag);
}

bool read_value(const ConfigNode& node, int& out, Diagnostics& diag) {
  return read_integer(node, out, diag);
}

bool read_value(const ConfigNode& node, double& out, Diagnostics& diag) {
  auto text = scalar_of(node, "a number", diag);
  if (!text) return false;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, out);
  if (ec != std::errc() || ptr != end || text->empty()) {
    diag.error(node, fmt::format("expected a number, got '{}'", *text));
    return false;
  }
  return true;
}

bool read_value(const ConfigNode& node, ByteSize& out, Diagnostics& diag) {
  auto text = scalar_of(node, "a size such as 64MiB", diag);
  if (!text) return false;
  auto size = parse_byte_size(*text);
  if (!size) {
    diag.error(node, fmt::format("expected a size such as 64MiB, 512KiB or 1GiB, got '{}'", *text));
    return false;
  }
  out = *size;
  return true;
}

bool read_value(const ConfigNode& node, Duration& out, Diagnostics& diag) {
  auto text = scalar_of(node, "a duration such as 5s", diag);
  if (!text) return false;
  auto d = parse_duration(*text);
  if (!d) {
    if (is_plain_number(*text)) {
      diag.error(node, fmt::format("'{}' has no unit; write e.g. {}s or {}ms (units: ms, s, m, h)",
                                   *text, *text, *text));
    } else {
      diag.error(node, fmt::format("expected a duration such as 5s or 250ms, got '{}'", *text));
    }
    return false;
  }
  out = *d;
  return true;
}

bool read_value(const ConfigNode& node, std::vector<std::string>& out, Diagnostics& diag) {
  if (node.is_scalar()) {
    std::string one;
    if (!read_value(node, one, diag)) return false;
    out = {std::move(one)};
    return true;
  }
  if (!node.is_sequence()) {
    diag.error(node, fmt::format("expected a list of strings, got {}", node.kind()));
    return false;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (size_t i = 0; i < node.size(); ++i) {
    std::string item;
    if (read_value(node.at(i), item, diag)) {
      items.push_back(std::move(item));
    } else {
      ok = false;
    }
  }
  if (ok) out = std::move(items);
  return ok;
}

bool read_value(const ConfigNode& node, std::map<std::string, std::string>& out,
                Diagnostics& diag) {
  if (!node.is_map()) {
    diag.error(node, fmt::format("expected a map of strings, got {}", node.kind()));
    return false;
  }
  std::map<std::string, std::string> items;
  bool ok = true;
  for (const ConfigEntry& e : node.entries()) {
    if (!e.key.is_scalar()) {
      diag.error(e.key, "keys must be strings");
      ok = false;
      continue;
    }
    std::string value;
    if (e.value.defined() && !read_value(e.value, value, diag)) {
      ok = false;
      continue;
    }
    items[e.name] = std::move(value);  // `key:` (null) is the empty string
  }
  if (ok) out = std::move(items);
  return ok;
}

// --- keys -------------------------------------------------------------------------------------

bool check_keys(const ConfigNode& node, const std::vector<std::string>& known, Diagnostics& diag) {
  if (!node.defined()) return true;
  if (!node.is_map()) {
    diag.error(node, fmt::format("expected a map, got {}", node.kind()));
    return false;
  }
  std::set<std::string> seen;
  for (const ConfigEntry& e : node.entries()) {
    if (!e.key.is_scalar()) {
      diag.error(e.key, "keys must be strings");
      continue;
    }
    if (!seen.insert(e.name).second) {
      diag.error(e.key, fmt::format("duplicate key '{}'", e.name));
      continue;
    }
    if (std::find(known.begin(), known.end(), e.name) != known.end()) continue;
    std::string message = fmt::format("unknown option '{}'", e.name);
    const std::string hint = did_you_mean(e.name, known);
    if (!hint.empty()) message += fmt::format("; did you mean '{}'?", hint);
    diag.error(e.key, message);
  }
  return true;
}

}  // namespace logagent
