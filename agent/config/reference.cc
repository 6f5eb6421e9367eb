// config_reference(): the Markdown reference of every key, generated from the schemas so that the
// documentation cannot drift from the code. Output depends only on the registry's contents
// (plugins are sorted by name), never on registration order.
#include <fmt/format.h>

#include <algorithm>

#include "agent/config/config.h"
#include "agent/config/sections.h"

namespace logagent {
namespace {

// Table cells: no line breaks, '|' escaped.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string default_cell(const FieldDoc& d) {
  if (d.required || (d.optional && d.default_value.empty())) return "—";
  if (d.default_value.empty()) return d.type == "string" ? "`\"\"`" : "—";
  return fmt::format("`{}`", cell(d.default_value));
}

std::string description_cell(const FieldDoc& d) {
  std::string out = cell(d.doc);
  if (!d.choices.empty()) {
    std::string list;
    for (const std::string& c : d.choices) list += (list.empty() ? "`" : ", `") + c + "`";
    out += (out.empty() ? "One of: " : " One of: ") + list + ".";
  }
  return out;
}

void append_table(std::string& out, const std::vector<FieldDoc>& docs) {
  out += "| key | type | default | required | description |\n";
  out += "|---|---|---|---|---|\n";
  for (const FieldDoc& d : docs) {
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", cell(d.key), cell(d.type), default_cell(d),
                       d.required ? "yes" : "no", description_cell(d));
  }
}

void append_kind(std::string& out, const Registry& registry, PluginKind kind,
                 std::string_view title) {
  std::vector<const PluginFactory*> plugins;
  for (const PluginFactory* f : registry.all()) {
    if (f->kind == kind) plugins.push_back(f);
  }
  std::sort(plugins.begin(), plugins.end(),
            [](const PluginFactory* a, const PluginFactory* b) { return a->name < b->name; });
  out += fmt::format("\n## {}\n", title);
  if (plugins.empty()) out += "\nNone registered.\n";
  for (const PluginFactory* f : plugins) {
    out += fmt::format("\n### `{}`\n\n`type: \"{}\"`\n\n", f->name, f->name);
    if (f->exactly_once) out += "Offers `delivery: exactly_once`.\n\n";
    if (f->docs.empty()) {
      out += "No options besides `type`.\n";
    } else {
      append_table(out, f->docs);
    }
  }
}

}  // namespace

std::string config_reference(const Registry& registry) {
  std::string out =
      "# logagent configuration reference\n\n"
      "Generated from the option schemas by `logagent reference`; do not edit by hand.\n\n"
      "Sizes are written `512` (bytes), `64KiB`, `64MiB`, `1GiB`, `1TiB` (1024-based) or `KB`, "
      "`MB`, `GB`, `TB` (1000-based). Durations are written `250ms`, `5s`, `2m`, `1h` or "
      "combined (`1m30s`); a plain number is rejected. Any value may use `${VAR}` or "
      "`${VAR:-default}` from the environment (`$$` is a literal `$`). Unknown keys are "
      "errors.\n\n"
      "## Top-level keys\n\n";
  append_table(out, config_detail::top_level_docs());
  append_kind(out, registry, PluginKind::kInput, "Inputs");
  append_kind(out, registry, PluginKind::kStage, "Stages");
  append_kind(out, registry, PluginKind::kSink, "Sinks");
  return out;
}

}  // namespace logagent
