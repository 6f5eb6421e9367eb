// MessageTemplate: literal text with {name} placeholders, rendered into a topic name, a message
// key or a header value.
//
// Placeholders are the batch's metadata: {file} (the path the file was opened at), {file_name}
// (its last path component), {pipeline} and {host} (the host name); and the event's parsed
// fields: {field.NAME} or {field.NAME:-DEFAULT} (the last field of that name; "message" is the
// line; strings unescaped, other values as their JSON text; an event without the field renders
// DEFAULT, empty when none is given). A template with fields is rendered once per event, one
// without once per batch. "{{" and "}}" are literal braces. Unknown names and unbalanced braces
// are errors when the template is parsed (that is, when the configuration is validated), never
// while running. A template without placeholders renders to its literal text with no work.
//
// Threads: immutable once parsed; render() may be called from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/api/batch.h"
#include "agent/api/status.h"

namespace logagent::plugins::kafka {

struct TemplateVars {
  std::string_view file;
  std::string_view pipeline;
  std::string_view host;
  // For {field.*}: the event whose fields are used (none: every field renders its default).
  const Batch* batch = nullptr;
  size_t event = 0;
};

class MessageTemplate {
 public:
  MessageTemplate() = default;
  static Result<MessageTemplate> parse(std::string_view text);

  bool empty() const { return parts_.empty(); }
  bool is_literal() const { return literal_; }
  // The text when is_literal().
  const std::string& literal() const { return text_; }
  // Some placeholder is an event field: render per event.
  bool uses_fields() const { return uses_fields_; }
  // Some field placeholder has no ":-default".
  bool field_without_default() const { return field_without_default_; }
  void render(const TemplateVars& vars, std::string& out) const;
  std::string render(const TemplateVars& vars) const {
    std::string out;
    render(vars, out);
    return out;
  }

 private:
  enum class Var { kText, kFile, kFileName, kPipeline, kHost, kField };
  struct Part {
    Var var;
    std::string text;      // kText: the text; kField: the field name
    std::string fallback;  // kField: rendered when the event lacks the field
  };
  std::vector<Part> parts_;
  std::string text_;  // all literal text joined (the rendering when literal_)
  bool literal_ = true;
  bool uses_fields_ = false;
  bool field_without_default_ = false;
};

// Kafka topic names: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(std::string_view name);
// Replaces every character not allowed in a topic name with '_' and cuts at 249 characters.
void sanitize_topic_name(std::string& name);

}  // namespace logagent::plugins::kafka
