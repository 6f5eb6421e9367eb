#include "plugins/sinks/kafka/message_template.h"

#include <optional>

#include "plugins/common/field_edit.h"

namespace logagent::plugins::kafka {
namespace {

constexpr size_t kMaxTopicLength = 249;

bool topic_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::string_view base_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<MessageTemplate> MessageTemplate::parse(std::string_view text) {
  MessageTemplate t;
  std::string pending;
  auto flush_text = [&] {
    if (pending.empty()) return;
    t.text_ += pending;
    t.parts_.push_back({Var::kText, std::move(pending), {}});
    pending.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      pending.push_back(c);
      ++i;
      continue;
    }
    if (c == '}') return Status::error("unmatched '}' in template '" + std::string(text) + "'");
    if (c != '{') {
      pending.push_back(c);
      continue;
    }
    const size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      return Status::error("unclosed '{' in template '" + std::string(text) + "'");
    }
    const std::string_view name = text.substr(i + 1, close - i - 1);
    Var var;
    std::string field;
    std::string fallback;
    if (name.starts_with("field.")) {
      std::string_view spec = name.substr(6);
      if (const size_t dash = spec.find(":-"); dash != std::string_view::npos) {
        fallback = spec.substr(dash + 2);
        spec = spec.substr(0, dash);
      } else {
        t.field_without_default_ = true;
      }
      if (spec.empty()) {
        return Status::error("empty field name in '{" + std::string(name) + "}' in template '" +
                             std::string(text) + "' (write {field.NAME} or {field.NAME:-DEFAULT})");
      }
      var = Var::kField;
      field = spec;
      t.uses_fields_ = true;
    } else if (name == "file") {
      var = Var::kFile;
    } else if (name == "file_name") {
      var = Var::kFileName;
    } else if (name == "pipeline") {
      var = Var::kPipeline;
    } else if (name == "host") {
      var = Var::kHost;
    } else {
      return Status::error("unknown placeholder '{" + std::string(name) + "}' in template '" +
                           std::string(text) +
                           "' (known: {file}, {file_name}, {pipeline}, {host}, {field.NAME}, "
                           "{field.NAME:-DEFAULT}; '{{' is a literal '{')");
    }
    flush_text();
    t.parts_.push_back({var, std::move(field), std::move(fallback)});
    t.literal_ = false;
    i = close;
  }
  flush_text();
  return t;
}

void MessageTemplate::render(const TemplateVars& vars, std::string& out) const {
  if (literal_) {
    out.append(text_);
    return;
  }
  for (const Part& p : parts_) {
    switch (p.var) {
      case Var::kText:
        out.append(p.text);
        break;
      case Var::kFile:
        out.append(vars.file);
        break;
      case Var::kFileName:
        out.append(base_name(vars.file));
        break;
      case Var::kPipeline:
        out.append(vars.pipeline);
        break;
      case Var::kHost:
        out.append(vars.host);
        break;
      case Var::kField: {
        std::optional<std::string_view> v;
        if (vars.batch != nullptr && vars.event < vars.batch->events.size()) {
          v = field_value(*vars.batch, vars.event, p.text);
        }
        out.append(v ? *v : std::string_view(p.fallback));
        break;
      }
    }
  }
}

bool valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxTopicLength || name == "." || name == "..") return false;
  for (char c : name) {
    if (!topic_char(c)) return false;
  }
  return true;
}

void sanitize_topic_name(std::string& name) {
  if (name.size() > kMaxTopicLength) name.resize(kMaxTopicLength);
  for (char& c : name) {
    if (!topic_char(c)) c = '_';
  }
  // assign(1, '_'), not `= "_"`: GCC 12 at -O3 reports a false -Wrestrict on the latter.
  if (name.empty() || name == "." || name == "..") name.assign(1, '_');
}

}  // namespace logagent::plugins::kafka
