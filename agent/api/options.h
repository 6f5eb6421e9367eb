// Options: typed configuration declared once, bound from YAML with positions.
//
// A plugin declares a plain struct of options whose member initialisers are the defaults, and a
// Schema<T> naming each member with its key and documentation. The core binds the YAML node of
// the plugin to that struct before any thread starts: every error (wrong type, bad unit, unknown
// key with a "did you mean", missing required key, failed rule) is collected in Diagnostics as
// "FILE:LINE:COL: pipelines[0].sinks[1] (file): message". The same schema dumps the reference
// documentation (key, type, default, doc). After binding, a plugin sees only its typed struct.
//
// Scalars are read with ${VAR} and ${VAR:-default} expanded from the environment; an unset
// variable without a default is an error at its position.
//
// The YAML library stays behind ConfigNode: a plugin reads its options through the schema, or
// through ConfigNode's own questions for an option type of its own, never through yaml-cpp.
//
// Threads: configuration is bound on one thread; the results are immutable values.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace YAML {
class Node;  // yaml-cpp, used only by options.cc
}

namespace logagent {

// A size in bytes, written "64MiB", "256KiB", "1GiB", "512" (bytes); KB/MB/GB are 1000-based.
struct ByteSize {
  uint64_t bytes = 0;
  friend bool operator==(const ByteSize&, const ByteSize&) = default;
};
// A duration, written "250ms", "5s", "2m", "1h".
struct Duration {
  std::chrono::milliseconds value{0};
  friend bool operator==(const Duration&, const Duration&) = default;
};

// The file a configuration came from (for positions in messages).
struct ConfigFile {
  std::string name;
};

class Diagnostics;
struct ConfigEntry;

// A YAML node, where it is in the file, and its path in the document ("pipelines[0].input").
// A read-only handle: copies and assignment rebind it, never change the document.
class ConfigNode {
 public:
  // The document of `text`, at `path` ("" for a whole file; tests bind a plugin's map at the path
  // it would have); nullopt, with "FILE:LINE:COL: message" in `diag`, when it is not YAML.
  static std::optional<ConfigNode> parse(std::string_view text,
                                         std::shared_ptr<const ConfigFile> file, Diagnostics& diag,
                                         std::string path = {});

  const std::string& path() const { return path_; }
  const std::shared_ptr<const ConfigFile>& file() const { return file_; }
  // "FILE:LINE:COL" (1-based), or "FILE" when the node has no position.
  std::string where() const;
  // Child of a map (invalid node when absent) and element of a sequence.
  ConfigNode child(const std::string& key) const;
  ConfigNode at(size_t index) const;
  // Written in the file with a value: not absent, not YAML's null (`key:`, `~`, `null`).
  bool defined() const;
  // Written in the file at all, null included (`key:` is present but not defined).
  bool present() const;
  bool is_map() const;
  bool is_sequence() const;
  bool is_scalar() const;
  // Elements of a sequence, entries of a map; 0 otherwise.
  size_t size() const;
  // The entries of a map in file order (empty for anything else).
  std::vector<ConfigEntry> entries() const;
  // The scalar with ${VAR} expanded; nullopt (and an error in `diag`) when not a scalar or when a
  // variable is unset.
  std::optional<std::string> scalar(Diagnostics& diag) const;
  // The scalar as written (no ${VAR} expansion); "" when not a scalar.
  std::string raw_scalar() const;
  // The node as YAML text, in a canonical form.
  std::string dump() const;
  // The same with ${VAR} expanded in every scalar value (a scalar whose expansion fails stays as
  // written; binding reports it): what the config's fingerprints compare, so a change of an
  // environment variable a pipeline uses changes its fingerprint.
  std::string expanded_dump() const;
  // "a map", "a list", "a scalar" or "an empty value", for messages.
  std::string_view kind() const;

 private:
  ConfigNode(const YAML::Node& node, std::shared_ptr<const ConfigFile> file, std::string path);

  std::shared_ptr<const YAML::Node> node_;  // never null
  std::shared_ptr<const ConfigFile> file_;
  std::string path_;
};

// One entry of a map: its key (at the key's position; `name` is its text, "" when the key is not
// a scalar) and its value (path "PARENT.name").
struct ConfigEntry {
  ConfigNode key;
  ConfigNode value;
  std::string name;
};

class Diagnostics {
 public:
  // Adds "WHERE: PATH: message" (PATH omitted when empty).
  void error(const ConfigNode& at, std::string_view message);
  void error(std::string message) { errors_.push_back(std::move(message)); }
  bool ok() const { return errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  // Adds "WHERE: PATH: warning: message": the configuration works, but not as written.
  void warning(const ConfigNode& at, std::string_view message);
  const std::vector<std::string>& warnings() const { return warnings_; }
  // A label such as "(kafka)" appended to node paths in messages of one plugin.
  void set_context(std::string context) { context_ = std::move(context); }

 private:
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
  std::string context_;
};

// Expands ${VAR} and ${VAR:-default}; "$$" is a literal "$". Error text in `error` when a
// variable is unset or a brace is unclosed.
std::optional<std::string> expand_env(std::string_view text, std::string* error);
std::optional<ByteSize> parse_byte_size(std::string_view text);
std::optional<Duration> parse_duration(std::string_view text);
// The closest of `candidates` to `word` within a small edit distance, or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// Value readers: report into `diag` at `node` and return false on error.
bool read_value(const ConfigNode& node, std::string& out, Diagnostics& diag);
bool read_value(const ConfigNode& node, bool& out, Diagnostics& diag);
bool read_value(const ConfigNode& node, int64_t& out, Diagnostics& diag);
bool read_value(const ConfigNode& node, uint64_t& out, Diagnostics& diag);
bool read_value(const ConfigNode& node, uint32_t& out, Diagnostics& diag);
bool read_value(const ConfigNode& node, int& out, Diagnostics& diag);
bool read_value(const ConfigNode& node, double& out, Diagnostics& diag);
bool read_value(const ConfigNode& node, ByteSize& out, Diagnostics& diag);
bool read_value(const ConfigNode& node, Duration& out, Diagnostics& diag);
bool read_value(const ConfigNode& node, std::vector<std::string>& out, Diagnostics& diag);
bool read_value(const ConfigNode& node, std::map<std::string, std::string>& out, Diagnostics& diag);

// Default values as text for the reference documentation.
std::string format_value(const std::string& v);
std::string format_value(bool v);
std::string format_value(int64_t v);
std::string format_value(uint64_t v);
std::string format_value(uint32_t v);
std::string format_value(int v);
std::string format_value(double v);
std::string format_value(const ByteSize& v);
std::string format_value(const Duration& v);
std::string format_value(const std::vector<std::string>& v);
std::string format_value(const std::map<std::string, std::string>& v);

// Enum options. An enum E whose values are 0..N-1 is an option type when `option_names(E)`, found
// by argument-dependent lookup, returns the names of its values in order:
//   enum class Format { kRaw, kJson };
//   constexpr std::array<std::string_view, 2> option_names(Format) { return {"raw", "json"}; }
// It is written in YAML as one of those names ("'x' is not one of: raw, json" otherwise), and a
// plugin compares the enum, never a string.
template <class E>
concept OptionEnum = std::is_enum_v<E> && requires(E e) {
  {option_names(e)};
};
// The name of `e`; "" for a value outside option_names.
template <OptionEnum E>
std::string_view option_name(E e) {
  const auto names = option_names(e);
  const auto i = static_cast<size_t>(e);
  return i < names.size() ? names[i] : std::string_view();
}
// Reads a scalar that must be one of `names`; its index in `index`.
bool read_choice(const ConfigNode& node, std::span<const std::string_view> names, size_t& index,
                 Diagnostics& diag);
template <OptionEnum E>
bool read_value(const ConfigNode& node, E& out, Diagnostics& diag) {
  const auto names = option_names(E{});
  size_t index = 0;
  if (!read_choice(node, names, index, diag)) return false;
  out = static_cast<E>(index);
  return true;
}
template <OptionEnum E>
std::string format_value(E v) {
  return std::string(option_name(v));
}

// Optional options: unset (nullopt) unless written, so "not given" differs from any value,
// "" and false included.
template <class V>
bool read_value(const ConfigNode& node, std::optional<V>& out, Diagnostics& diag) {
  V v{};
  if (!read_value(node, v, diag)) return false;
  out = std::move(v);
  return true;
}
template <class V>
std::string format_value(const std::optional<V>& v) {
  return v ? format_value(*v) : std::string();
}
// IsOptional<V>::type is the value type: V itself, or what a std::optional holds.
template <class V>
struct IsOptional : std::false_type {
  using type = V;
};
template <class V>
struct IsOptional<std::optional<V>> : std::true_type {
  using type = V;
};

template <class V>
constexpr std::string_view type_name() {
  if constexpr (IsOptional<V>::value)
    return type_name<typename IsOptional<V>::type>();
  else if constexpr (std::is_same_v<V, std::string> || OptionEnum<V>)
    return "string";
  else if constexpr (std::is_same_v<V, bool>)
    return "bool";
  else if constexpr (std::is_same_v<V, double>)
    return "number";
  else if constexpr (std::is_integral_v<V>)
    return "integer";
  else if constexpr (std::is_same_v<V, ByteSize>)
    return "size";
  else if constexpr (std::is_same_v<V, Duration>)
    return "duration";
  else if constexpr (std::is_same_v<V, std::vector<std::string>>)
    return "list of strings";
  else if constexpr (requires { V::kTypeName; })  // an option type that names itself
    return std::string_view(V::kTypeName);
  else
    return "map of strings";
}

struct FieldDoc {
  std::string key;
  std::string type;
  std::string default_value;
  std::string doc;
  bool required = false;
  bool optional = false;  // a std::optional: unset unless written
  std::vector<std::string> choices;
};

// Reports unknown keys of `node` (a map) that are not in `known`, with a "did you mean".
// Returns false if `node` is defined but not a map.
bool check_keys(const ConfigNode& node, const std::vector<std::string>& known, Diagnostics& diag);

template <class T>
class Schema {
 public:
  using Rule = std::function<std::optional<std::string>(const T&)>;

  template <class V>
  Schema& field(std::string key, V T::*member, std::string doc) {
    Field f;
    f.doc.key = key;
    f.doc.type = std::string(type_name<V>());
    f.doc.default_value = format_value(T{}.*member);
    f.doc.doc = std::move(doc);
    f.doc.optional = IsOptional<V>::value;
    using Inner = typename IsOptional<V>::type;
    if constexpr (OptionEnum<Inner>) {
      for (std::string_view name : option_names(Inner{})) f.doc.choices.emplace_back(name);
    }
    f.read = [member](const ConfigNode& n, T& out, Diagnostics& d) {
      return read_value(n, out.*member, d);
    };
    fields_.push_back(std::move(f));
    return *this;
  }
  // The last field must be present.
  Schema& required() {
    fields_.back().doc.required = true;
    return *this;
  }
  // A rule over the bound struct; a message means an error, reported at the plugin's node.
  Schema& rule(Rule r) {
    rules_.push_back(std::move(r));
    return *this;
  }

  // Binds `node` (a map) to `out`. `extra_keys` are keys handled by the caller (e.g. "type").
  bool bind(const ConfigNode& node, T& out, Diagnostics& diag,
            const std::vector<std::string>& extra_keys = {}) const {
    const size_t before = diag.errors().size();
    std::vector<std::string> known = extra_keys;
    for (const Field& f : fields_) known.push_back(f.doc.key);
    if (!check_keys(node, known, diag)) return false;
    for (const Field& f : fields_) {
      ConfigNode child = node.child(f.doc.key);
      if (!child.defined()) {
        if (f.doc.required) {
          if (child.present()) {  // present, but YAML's null (`key:`, `~`, `null`)
            diag.error(child, "option '" + f.doc.key + "' has no value");
          } else {
            diag.error(node, "missing required option '" + f.doc.key + "'");
          }
        }
        continue;
      }
      f.read(child, out, diag);
    }
    if (diag.errors().size() == before) {
      for (const Rule& r : rules_) {
        if (auto msg = r(out)) diag.error(node, *msg);
      }
    }
    return diag.errors().size() == before;
  }

  std::vector<FieldDoc> docs() const {
    std::vector<FieldDoc> out;
    for (const Field& f : fields_) out.push_back(f.doc);
    return out;
  }

 private:
  struct Field {
    FieldDoc doc;
    std::function<bool(const ConfigNode&, T&, Diagnostics&)> read;
  };
  std::vector<Field> fields_;
  std::vector<Rule> rules_;
};

}  // namespace logagent
