#include "plugins/parsers/json/json_options.h"

namespace logagent::plugins::json {

const Schema<JsonOptions>& JsonOptions::schema() {
  static const Schema<JsonOptions> s =
      Schema<JsonOptions>()
          .field("field", &JsonOptions::field,
                 "What to parse: `message` (the line as read) or the name of a string field set by "
                 "an earlier stage; events without that field pass through unparsed.")
          .field("on_error", &JsonOptions::on_error,
                 "For lines that are not a JSON object: keep marks the event and adds an `_error` "
                 "field with the reason; drop drops it (it still counts as delivered).")
          .one_of({"keep", "drop"})
          .field("target", &JsonOptions::target,
                 "Where the object's members go: empty puts them at the top level of the event. "
                 "Nesting them under a key is not supported yet.")
          .rule([](const JsonOptions& o) -> std::optional<std::string> {
            if (o.field.empty()) return "field must not be empty";
            if (!o.target.empty()) {
              return "target '" + o.target +
                     "': nesting parsed fields under a key is not supported yet; leave target "
                     "empty";
            }
            return std::nullopt;
          });
  return s;
}

ParseSettings to_settings(const JsonOptions& o) {
  ParseSettings s;
  s.field = o.field;
  s.on_error = o.on_error == "drop" ? OnError::kDrop : OnError::kKeep;
  return s;
}

}  // namespace logagent::plugins::json
