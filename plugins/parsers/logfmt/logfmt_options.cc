#include "plugins/parsers/logfmt/logfmt_options.h"

namespace logagent::plugins::logfmt {

const Schema<LogfmtOptions>& LogfmtOptions::schema() {
  static const Schema<LogfmtOptions> s =
      Schema<LogfmtOptions>()
          .field("field", &LogfmtOptions::field,
                 "What to parse: `message` (the line as read) or the name of a string field set by "
                 "an earlier stage; events without that field pass through unparsed.")
          .field("on_error", &LogfmtOptions::on_error,
                 "For texts without any key=value pair: keep marks the event and adds an `_error` "
                 "field with the reason; drop drops it (it still counts as delivered).")
          .one_of({"keep", "drop"})
          .field("target", &LogfmtOptions::target,
                 "Where the parsed pairs go: empty puts them at the top level of the event. "
                 "Nesting them under a key is not supported yet.")
          .rule([](const LogfmtOptions& o) -> std::optional<std::string> {
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

ParseSettings to_settings(const LogfmtOptions& o) {
  ParseSettings s;
  s.field = o.field;
  s.on_error = o.on_error == "drop" ? OnError::kDrop : OnError::kKeep;
  return s;
}

}  // namespace logagent::plugins::logfmt
