// MessageTemplate: literal text with {name} placeholders, rendered once per batch into a topic
// name, a message key or a header value.
//
// Placeholders are the batch's metadata: {file} (the path the file was opened at), {file_name}
// (its last path component), {pipeline} and {host} (the host name). "{{" and "}}" are literal
// braces. Unknown names and unbalanced braces are errors when the template is parsed (that is,
// when the configuration is validated), never while running. A template without placeholders
// renders to its literal text with no work.
//
// Threads: immutable once parsed; render() may be called from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/api/status.h"

namespace logagent::plugins::kafka {

struct TemplateVars {
  std::string_view file;
  std::string_view pipeline;
  std::string_view host;
};

class MessageTemplate {
 public:
  MessageTemplate() = default;
  static Result<MessageTemplate> parse(std::string_view text);

  bool empty() const { return parts_.empty(); }
  bool is_literal() const { return literal_; }
  // The text when is_literal().
  const std::string& literal() const { return text_; }
  void render(const TemplateVars& vars, std::string& out) const;
  std::string render(const TemplateVars& vars) const {
    std::string out;
    render(vars, out);
    return out;
  }

 private:
  enum class Var { kText, kFile, kFileName, kPipeline, kHost };
  struct Part {
    Var var;
    std::string text;  // kText only
  };
  std::vector<Part> parts_;
  std::string text_;  // all literal text joined (the rendering when literal_)
  bool literal_ = true;
};

// Kafka topic names: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(std::string_view name);
// Replaces every character not allowed in a topic name with '_' and cuts at 249 characters.
void sanitize_topic_name(std::string& name);

}  // namespace logagent::plugins::kafka
