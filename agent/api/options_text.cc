// Text forms of option values (declared in agent/api/options.h): ${VAR} expansion, sizes,
// durations, "did you mean", and format_value() for the reference documentation.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>

#include "agent/api/options.h"

namespace logagent {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads the leading digits of `s` into `value`; false on no digit or overflow.
bool take_number(std::string_view& s, uint64_t& value) {
  value = 0;
  size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    const auto digit = static_cast<uint64_t>(s[i] - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  s.remove_prefix(i);
  return i > 0;
}

bool valid_var_name(std::string_view name) {
  if (name.empty() || is_digit(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

// Index of the '}' closing the "${" that starts at `open`, or npos.
size_t closing_brace(std::string_view text, size_t open) {
  size_t depth = 0;
  for (size_t j = open; j < text.size(); ++j) {
    if (text[j] == '$' && j + 1 < text.size() && text[j + 1] == '{') {
      ++depth;
      ++j;
    } else if (text[j] == '}' && --depth == 0) {
      return j;
    }
  }
  return std::string_view::npos;
}

// Expands the body of one "${...}" into `out`.
bool expand_variable(std::string_view body, std::string& out, std::string* error) {
  const size_t sep = body.find(":-");
  const std::string name(body.substr(0, sep));
  if (!valid_var_name(name)) {
    if (error != nullptr) *error = fmt::format("invalid variable name in '${{{}}}'", body);
    return false;
  }
  const char* value = std::getenv(name.c_str());
  if (value != nullptr && (*value != '\0' || sep == std::string_view::npos)) {
    out += value;
    return true;
  }
  if (sep == std::string_view::npos) {
    if (error != nullptr) {
      *error = fmt::format(
          "environment variable '{}' is not set; set it or give a default: ${{{}:-default}}", name,
          name);
    }
    return false;
  }
  auto fallback = expand_env(body.substr(sep + 2), error);
  if (!fallback) return false;
  out += *fallback;
  return true;
}

int levenshtein(std::string_view a, std::string_view b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int up = row[j];
      const int cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                               std::tolower(static_cast<unsigned char>(b[j - 1]))
                           ? 0
                           : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<std::string> expand_env(std::string_view text, std::string* error) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const bool dollar = text[i] == '$' && i + 1 < text.size();
    if (dollar && text[i + 1] == '$') {
      out += '$';
      i += 2;
    } else if (dollar && text[i + 1] == '{') {
      const size_t close = closing_brace(text, i);
      if (close == std::string_view::npos) {
        if (error != nullptr) *error = fmt::format("unclosed '${{' in '{}'", text);
        return std::nullopt;
      }
      if (!expand_variable(text.substr(i + 2, close - i - 2), out, error)) return std::nullopt;
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::optional<ByteSize> parse_byte_size(std::string_view text) {
  struct Unit {
    std::string_view name;
    uint64_t factor;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KiB", 1ULL << 10},
      {"MiB", 1ULL << 20},
      {"GiB", 1ULL << 30},
      {"TiB", 1ULL << 40},
      {"KB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000ULL * 1000 * 1000},
      {"TB", 1000ULL * 1000 * 1000 * 1000},
  };
  std::string_view s = trim(text);
  uint64_t n = 0;
  if (!take_number(s, n)) return std::nullopt;
  s = trim(s);
  for (const Unit& u : kUnits) {
    if (s != u.name) continue;
    if (n > std::numeric_limits<uint64_t>::max() / u.factor) return std::nullopt;
    return ByteSize{n * u.factor};
  }
  return std::nullopt;
}

std::optional<Duration> parse_duration(std::string_view text) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  while (!s.empty()) {
    uint64_t n = 0;
    if (!take_number(s, n)) return std::nullopt;
    int64_t factor = 0;
    if (s.starts_with("ms")) {
      factor = 1;
      s.remove_prefix(2);
    } else if (!s.empty() && (s[0] == 's' || s[0] == 'm' || s[0] == 'h')) {
      factor = s[0] == 's' ? 1000 : s[0] == 'm' ? 60'000 : 3'600'000;
      s.remove_prefix(1);
    } else {
      return std::nullopt;  // no unit, or an unknown one
    }
    if (n > static_cast<uint64_t>(kMax / factor)) return std::nullopt;
    const int64_t part = static_cast<int64_t>(n) * factor;
    if (total > kMax - part) return std::nullopt;
    total += part;
  }
  return Duration{std::chrono::milliseconds(total)};
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const int threshold = std::max(2, static_cast<int>(word.size() / 3));
  std::string best;
  int best_distance = threshold + 1;
  for (const std::string& c : candidates) {
    const int d = levenshtein(word, c);
    // A suggestion must share something with the word: not a complete rewrite.
    if (d >= static_cast<int>(std::max(word.size(), c.size()))) continue;
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

// --- format_value -----------------------------------------------------------------------------

std::string format_value(const std::string& v) { return v; }
std::string format_value(bool v) { return v ? "true" : "false"; }
std::string format_value(int64_t v) { return fmt::format("{}", v); }
std::string format_value(uint64_t v) { return fmt::format("{}", v); }
std::string format_value(uint32_t v) { return fmt::format("{}", v); }
std::string format_value(int v) { return fmt::format("{}", v); }
std::string format_value(double v) { return fmt::format("{}", v); }

std::string format_value(const ByteSize& v) {
  static constexpr std::pair<uint64_t, std::string_view> kUnits[] = {
      {1ULL << 40, "TiB"}, {1ULL << 30, "GiB"}, {1ULL << 20, "MiB"}, {1ULL << 10, "KiB"}};
  for (const auto& [factor, name] : kUnits) {
    if (v.bytes != 0 && v.bytes % factor == 0) return fmt::format("{}{}", v.bytes / factor, name);
  }
  return fmt::format("{}B", v.bytes);
}

std::string format_value(const Duration& v) {
  const int64_t ms = v.value.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

std::string format_value(const std::vector<std::string>& v) {
  std::string out = "[";
  for (const std::string& s : v) out += fmt::format("{}\"{}\"", out.size() > 1 ? ", " : "", s);
  return out + "]";
}

std::string format_value(const std::map<std::string, std::string>& v) {
  std::string out = "{";
  for (const auto& [k, s] : v) out += fmt::format("{}{}: \"{}\"", out.size() > 1 ? ", " : "", k, s);
  return out + "}";
}

}  // namespace logagent
