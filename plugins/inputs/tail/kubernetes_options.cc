#include "plugins/inputs/tail/kubernetes_options.h"

#include <fnmatch.h>

#include <algorithm>
#include <optional>
#include <string>

#include "plugins/inputs/tail/kubernetes_path.h"

namespace logagent::plugins::tail {
namespace {

bool any_matches(const std::vector<std::string>& globs, const std::string& name) {
  for (const std::string& g : globs) {
    if (::fnmatch(g.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

std::optional<std::string> check_globs(const NameGlobs& o) {
  for (const std::string& g : o.include) {
    if (g.empty()) return "'include' must not contain an empty glob";
  }
  for (const std::string& g : o.exclude) {
    if (g.empty()) return "'exclude' must not contain an empty glob";
  }
  return std::nullopt;
}

std::optional<std::string> check_fields(const KubernetesOptions& o) {
  for (const std::string& f : o.fields) {
    if (std::find(KubernetesOptions::kKeys.begin(), KubernetesOptions::kKeys.end(), f) ==
        KubernetesOptions::kKeys.end()) {
      std::string known;
      for (std::string_view k : KubernetesOptions::kKeys)
        known += (known.empty() ? "" : ", ") + std::string(k);
      return "'fields': '" + f + "' is not one of: " + known;
    }
  }
  return std::nullopt;
}

std::string format_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i == 0 ? "\"" : ", \"") + v[i] + "\"";
  return out + "]";
}

}  // namespace

bool NameGlobs::admits(std::string_view name) const {
  if (empty()) return true;
  const std::string n(name);
  return (include.empty() || any_matches(include, n)) && !any_matches(exclude, n);
}

const Schema<NameGlobs>& NameGlobs::schema() {
  static const Schema<NameGlobs> s = [] {
    Schema<NameGlobs> schema;
    schema.field("include", &NameGlobs::include, "Globs: read only the names matching one.")
        .field("exclude", &NameGlobs::exclude, "Globs: skip the names matching one.")
        .rule(check_globs);
    return schema;
  }();
  return s;
}

bool read_value(const ConfigNode& node, NameGlobs& out, Diagnostics& diag) {
  if (!node.is_map()) {
    diag.error(node, "expected a map such as {exclude: [\"kube-system\"]}");
    return false;
  }
  NameGlobs o;
  if (!NameGlobs::schema().bind(node, o, diag)) return false;
  out = std::move(o);
  return true;
}

std::string format_value(const NameGlobs& v) {
  std::string out;
  if (!v.include.empty()) out += "include: " + format_list(v.include);
  if (!v.exclude.empty()) out += (out.empty() ? "" : ", ") + ("exclude: " + format_list(v.exclude));
  return "{" + out + "}";
}

bool KubernetesOptions::admits(std::string_view path) const {
  if (!filters()) return true;
  const std::optional<KubernetesPath> k = parse_kubernetes_path(path);
  return !k || (namespaces.admits(k->namespace_name) && pods.admits(k->pod));
}

const Schema<KubernetesOptions>& KubernetesOptions::schema() {
  static const Schema<KubernetesOptions> s = [] {
    Schema<KubernetesOptions> schema;
    schema
        .field("namespaces", &KubernetesOptions::namespaces,
               "{include: [globs], exclude: [globs]} over namespace names.")
        .field("pods", &KubernetesOptions::pods,
               "{include: [globs], exclude: [globs]} over pod names.")
        .field("fields", &KubernetesOptions::fields, "The metadata keys to set (default: all six).")
        .field("api", &KubernetesOptions::api,
               "Labels and annotations from the API server: {enabled: true, labels: [globs], "
               "annotations: [globs]}.")
        .rule(check_fields);
    return schema;
  }();
  return s;
}

bool read_value(const ConfigNode& node, KubernetesOptions& out, Diagnostics& diag) {
  KubernetesOptions o;
  if (node.is_scalar()) {  // `kubernetes: true`
    if (!read_value(node, o.enabled, diag)) return false;
  } else if (!node.is_map()) {
    diag.error(node, "expected true, false, or a map such as {namespaces: {exclude: [...]}}");
    return false;
  } else if (!KubernetesOptions::schema().bind(node, o, diag)) {
    return false;
  } else {
    o.enabled = true;
  }
  out = std::move(o);
  return true;
}

std::string format_value(const KubernetesOptions& v) {
  if (!v.enabled) return "false";
  if (!v.filters() && v.fields.empty() && !v.api.enabled) return "true";
  std::string out;
  if (!v.namespaces.empty()) out += "namespaces: " + format_value(v.namespaces);
  if (!v.pods.empty()) out += (out.empty() ? "" : ", ") + ("pods: " + format_value(v.pods));
  if (!v.fields.empty()) out += (out.empty() ? "" : ", ") + ("fields: " + format_list(v.fields));
  if (v.api.enabled) out += (out.empty() ? "" : ", ") + ("api: " + format_value(v.api));
  return "{" + out + "}";
}

}  // namespace logagent::plugins::tail
