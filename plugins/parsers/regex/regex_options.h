// Options of the "regex" parser stage: the common parser options plus `pattern` or `format`.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>

#include "agent/api/options.h"
#include "agent/api/status.h"
#include "plugins/common/parser_stage.h"

namespace logagent::plugins::regex {

struct RegexOptions : ParserOptions {
  std::string pattern;  // RE2 syntax, with named groups
  std::string format;   // a built-in pattern (regex_formats.h)
  static const Schema<RegexOptions>& schema();
};

// The compiled pattern of `o`, or the configuration error ("pattern: missing ): ..." with the
// offset of the offending part). Used by the schema rule and by the stage.
Result<std::unique_ptr<RE2>> compile_pattern(const RegexOptions& o);

}  // namespace logagent::plugins::regex
