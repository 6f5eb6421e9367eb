#include "plugins/common/template.h"

#include <charconv>
#include <optional>

#include "plugins/common/field_edit.h"

namespace logagent::plugins {
namespace {

using Kind = TemplatePart::Kind;

struct Named {
  std::string_view name;
  Kind kind;
};
constexpr std::array<Named, 5> kNames{{{"file", Kind::kFile},
                                       {"file_name", Kind::kFileName},
                                       {"pipeline", Kind::kPipeline},
                                       {"host", Kind::kHost},
                                       {"offset", Kind::kOffset}}};
constexpr std::string_view kFieldPrefix = "field.";
constexpr std::string_view kDefaultMark = ":-";

std::string_view base_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// "{file}, {host}, ..." for the placeholders `allowed` has.
std::string known_list(const PlaceholderSet& allowed) {
  std::string out;
  for (const Named& n : kNames) {
    if (!allowed.has(n.kind)) continue;
    out += out.empty() ? "{" : ", {";
    out += n.name;
    out += "}";
  }
  if (allowed.has(Kind::kField)) {
    out += out.empty() ? "" : ", ";
    out += "{field.NAME}, {field.NAME:-DEFAULT}";
  }
  return out;
}

// The placeholder {name}; nullopt when `allowed` has none of that name.
std::optional<TemplatePart> placeholder(std::string_view name, const PlaceholderSet& allowed) {
  if (name.starts_with(kFieldPrefix) && allowed.has(Kind::kField)) {
    std::string_view spec = name.substr(kFieldPrefix.size());
    TemplatePart p{Kind::kField, {}, {}, false};
    if (const size_t mark = spec.find(kDefaultMark); mark != std::string_view::npos) {
      p.fallback = spec.substr(mark + kDefaultMark.size());
      p.has_fallback = true;
      spec = spec.substr(0, mark);
    }
    p.text = spec;
    return p;
  }
  for (const Named& n : kNames) {
    if (n.name == name && allowed.has(n.kind)) return TemplatePart{n.kind, {}, {}, false};
  }
  return std::nullopt;
}

}  // namespace

Result<Template> Template::parse(std::string_view text, const TemplateSyntax& syntax) {
  Template t;
  auto add_text = [&t](std::string_view s) {
    if (t.parts_.empty() || t.parts_.back().kind != Kind::kText) t.parts_.push_back({});
    t.parts_.back().text += s;
  };
  const auto quoted = [&text] { return "in template '" + std::string(text) + "'"; };
  // The first '}' at or after a position: found once and kept while it lies ahead, so that a
  // text of many '{' and few '}' parses in linear time.
  size_t next_close = 0;
  bool close_known = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    // Doubled braces are escapes in the strict syntax only: a lenient use (add_fields) keeps
    // them as written, as it did before the two template languages became one.
    if (!syntax.unknown_is_text && (c == '{' || c == '}') && i + 1 < text.size() &&
        text[i + 1] == c) {
      add_text(text.substr(i, 1));
      ++i;
      continue;
    }
    if (c == '}' && !syntax.unknown_is_text) return Status::error("unmatched '}' " + quoted());
    if (c != '{') {
      add_text(text.substr(i, 1));
      continue;
    }
    if (!close_known || (next_close != std::string_view::npos && next_close <= i)) {
      next_close = text.find('}', i + 1);
      close_known = true;
    }
    const size_t close = next_close;
    std::optional<TemplatePart> part;
    if (close != std::string_view::npos) {
      part = placeholder(text.substr(i + 1, close - i - 1), syntax.allowed);
    }
    if (!part && syntax.unknown_is_text) {
      add_text("{");
      continue;
    }
    if (close == std::string_view::npos) return Status::error("unclosed '{' " + quoted());
    const std::string_view name = text.substr(i + 1, close - i - 1);
    if (!part) {
      return Status::error("unknown placeholder '{" + std::string(name) + "}' " + quoted() +
                           " (known: " + known_list(syntax.allowed) + "; '{{' is a literal '{')");
    }
    if (part->kind == Kind::kField && part->text.empty()) {
      return Status::error("empty field name in '{" + std::string(name) + "}' " + quoted() +
                           " (write {field.NAME} or {field.NAME:-DEFAULT})");
    }
    t.parts_.push_back(std::move(*part));
    i = close;
  }
  t.normalize();
  return t;
}

void Template::bind(Kind kind, std::string_view value) {
  for (TemplatePart& p : parts_) {
    if (p.kind != kind) continue;
    p = TemplatePart{};
    p.text = value;
  }
  normalize();
}

void Template::normalize() {
  std::vector<TemplatePart> parts;
  text_.clear();
  literal_ = true;
  for (TemplatePart& p : parts_) {
    if (p.kind != Kind::kText) {
      literal_ = false;
      parts.push_back(std::move(p));
      continue;
    }
    if (p.text.empty()) continue;
    text_ += p.text;
    if (!parts.empty() && parts.back().kind == Kind::kText) {
      parts.back().text += p.text;
    } else {
      parts.push_back(std::move(p));
    }
  }
  parts_ = std::move(parts);
}

bool Template::uses(Kind kind) const {
  for (const TemplatePart& p : parts_) {
    if (p.kind == kind) return true;
  }
  return false;
}

bool Template::field_without_default() const {
  for (const TemplatePart& p : parts_) {
    if (p.kind == Kind::kField && !p.has_fallback) return true;
  }
  return false;
}

std::string_view Template::render_part(const TemplatePart& p, const TemplateVars& vars,
                                       std::array<char, 24>& digits) {
  const bool has_event = vars.batch != nullptr && vars.event < vars.batch->events.size();
  switch (p.kind) {
    case Kind::kText:
      return p.text;
    case Kind::kFile:
      return vars.file;
    case Kind::kFileName:
      return base_name(vars.file);
    case Kind::kPipeline:
      return vars.pipeline;
    case Kind::kHost:
      return vars.host;
    case Kind::kOffset: {
      const uint64_t offset = has_event ? vars.batch->events[vars.event].offset : 0;
      const auto conv = std::to_chars(digits.data(), digits.data() + digits.size(), offset);
      return {digits.data(), static_cast<size_t>(conv.ptr - digits.data())};
    }
    case Kind::kField: {
      std::optional<std::string_view> v;
      if (has_event) v = field_value(*vars.batch, vars.event, p.text);
      return v ? *v : std::string_view(p.fallback);
    }
  }
  return {};
}

}  // namespace logagent::plugins
