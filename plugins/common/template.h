// Template: literal text with {NAME} placeholders -- the one template language of the plugins
// (the add_fields stage's values; the kafka sink's topic, key and header values).
//
// Syntax: {NAME} is a placeholder when the use allows NAME
// (TemplateSyntax::allowed):
//   {file}        the batch's source path (the path the file was opened at)
//   {file_name}   its last path component
//   {pipeline}    the pipeline's name
//   {host}        the host name
//   {offset}      the event's file offset, in decimal
//   {field.NAME} or {field.NAME:-DEFAULT}
//                 the event's field NAME (the last field of that name; "message" is the line;
//                 strings unescaped, other values as their JSON text), else its source's field
//                 NAME (SourceInfo::fields, e.g. k8s.namespace); an event without either
//                 renders DEFAULT, empty when none is given
// Any other {NAME}, a '{' without its '}' and a lone '}' are errors when the template is parsed
// (that is, when the configuration is validated), never while running -- unless the use keeps
// them as literal text (TemplateSyntax::unknown_is_text, add_fields). "{{" and "}}" are literal
// braces in the strict syntax; the lenient one keeps them as written. A template without
// placeholders renders to its literal text with no work.
//
// Rendering appends to a caller's string (render(vars, out): only that string may grow), or
// hands each piece to a callback (for_each_piece) so that the caller can size one arena
// allocation first. render(vars) returns a new string: for checks and tests, not the hot path.
//
// Threads: immutable once parsed; rendering may run on any thread.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/status.h"

namespace logagent::plugins {

struct TemplatePart {
  enum class Kind : uint8_t { kText, kFile, kFileName, kPipeline, kHost, kOffset, kField };
  Kind kind = Kind::kText;
  std::string text;           // kText: the text; kField: the field name
  std::string fallback;       // kField: rendered when the event lacks the field
  bool has_fallback = false;  // kField: ":-DEFAULT" was written (DEFAULT may be empty)
};

// Which placeholders a use of templates allows.
class PlaceholderSet {
 public:
  constexpr PlaceholderSet(std::initializer_list<TemplatePart::Kind> kinds) {
    for (TemplatePart::Kind k : kinds) bits_ |= 1U << static_cast<unsigned>(k);
  }
  constexpr bool has(TemplatePart::Kind k) const {
    return (bits_ & (1U << static_cast<unsigned>(k))) != 0;
  }

 private:
  uint32_t bits_ = 0;
};

struct TemplateSyntax {
  PlaceholderSet allowed;
  // An unknown {NAME}, an unbalanced brace and a doubled one are literal text, as written,
  // instead of errors or escapes.
  bool unknown_is_text = false;
};

// What placeholders render to.
struct TemplateVars {
  std::string_view file;
  std::string_view pipeline;
  std::string_view host;
  // For {field.*} and {offset}: the event (none: fields render their default, offsets 0).
  const Batch* batch = nullptr;
  size_t event = 0;
};

class Template {
 public:
  Template() = default;
  static Result<Template> parse(std::string_view text, const TemplateSyntax& syntax);

  // Replaces every placeholder of kind `kind` by `value` (a value known once, e.g. the host).
  void bind(TemplatePart::Kind kind, std::string_view value);

  const std::vector<TemplatePart>& parts() const { return parts_; }
  bool empty() const { return parts_.empty(); }
  bool is_literal() const { return literal_; }
  // The text when is_literal().
  const std::string& literal() const { return text_; }
  bool uses(TemplatePart::Kind kind) const;
  // Some placeholder is an event field: render per event.
  bool uses_fields() const { return uses(TemplatePart::Kind::kField); }
  // Some field placeholder has no ":-default".
  bool field_without_default() const;

  // Calls fn(std::string_view) with each rendered piece, in order.
  template <class Fn>
  void for_each_piece(const TemplateVars& vars, Fn&& fn) const {
    if (literal_) {
      fn(std::string_view(text_));
      return;
    }
    std::array<char, 24> digits;
    for (const TemplatePart& p : parts_) fn(render_part(p, vars, digits));
  }
  void render(const TemplateVars& vars, std::string& out) const {
    for_each_piece(vars, [&out](std::string_view piece) { out.append(piece); });
  }
  std::string render(const TemplateVars& vars) const {
    std::string out;
    render(vars, out);
    return out;
  }

 private:
  // The text of one part; {offset} is written into `digits`.
  static std::string_view render_part(const TemplatePart& p, const TemplateVars& vars,
                                      std::array<char, 24>& digits);
  // Joins adjacent text parts and recomputes text_ and literal_.
  void normalize();

  std::vector<TemplatePart> parts_;
  std::string text_;  // all literal text joined (the rendering when literal_)
  bool literal_ = true;
};

}  // namespace logagent::plugins
