#include "agent/top/prom_text.h"

#include <cmath>
#include <cstdlib>
#include <optional>
#include <set>

namespace logagent::top {

std::string_view PromSample::label(std::string_view key) const {
  for (const auto& [k, v] : labels) {
    if (k == key) return v;
  }
  return {};
}

namespace {

bool is_name_char(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  return alpha || (!first && c >= '0' && c <= '9');
}

// Reads a metric or label name at `pos`; empty when there is none.
std::string_view read_name(std::string_view line, size_t& pos) {
  const size_t start = pos;
  while (pos < line.size() && is_name_char(line[pos], pos == start)) ++pos;
  return line.substr(start, pos - start);
}

void skip_blanks(std::string_view line, size_t& pos) {
  while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
}

// Reads a quoted label value at `pos` (on the opening quote), unescaping it.
std::optional<std::string> read_quoted(std::string_view line, size_t& pos) {
  if (pos >= line.size() || line[pos] != '"') return std::nullopt;
  std::string out;
  for (++pos; pos < line.size(); ++pos) {
    const char c = line[pos];
    if (c == '"') {
      ++pos;
      return out;
    }
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++pos >= line.size()) return std::nullopt;
    const char e = line[pos];
    out.push_back(e == 'n' ? '\n' : e);  // \\ and \" stand for themselves
  }
  return std::nullopt;  // no closing quote
}

// Reads `{k="v",...}` at `pos` (on the brace); a trailing comma is allowed.
bool read_labels(std::string_view line, size_t& pos, PromSample& s) {
  ++pos;
  for (;;) {
    skip_blanks(line, pos);
    if (pos < line.size() && line[pos] == '}') {
      ++pos;
      return true;
    }
    const std::string_view key = read_name(line, pos);
    if (key.empty()) return false;
    skip_blanks(line, pos);
    if (pos >= line.size() || line[pos] != '=') return false;
    ++pos;
    skip_blanks(line, pos);
    auto value = read_quoted(line, pos);
    if (!value) return false;
    s.labels.emplace_back(std::string(key), std::move(*value));
    skip_blanks(line, pos);
    if (pos < line.size() && line[pos] == ',') ++pos;
  }
}

std::optional<double> parse_value(std::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "+Inf" || text == "Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string copy(text);  // strtod needs a terminated string
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

std::optional<PromSample> parse_sample(std::string_view line) {
  PromSample s;
  size_t pos = 0;
  s.name = std::string(read_name(line, pos));
  if (s.name.empty()) return std::nullopt;
  skip_blanks(line, pos);
  if (pos < line.size() && line[pos] == '{' && !read_labels(line, pos, s)) return std::nullopt;
  skip_blanks(line, pos);
  const size_t end = line.find_first_of(" \t", pos);
  auto value = parse_value(line.substr(pos, end == std::string_view::npos ? end : end - pos));
  if (!value) return std::nullopt;
  s.value = *value;
  return s;  // a timestamp after the value is ignored
}

// The family a sample belongs to when it is one of a histogram's or summary's series.
bool in_skipped_family(const std::string& name, const std::set<std::string, std::less<>>& skip) {
  if (skip.count(name) != 0) return true;
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix) &&
        skip.count(std::string_view(name).substr(0, name.size() - suffix.size())) != 0) {
      return true;
    }
  }
  return false;
}

// Records `# TYPE name histogram|summary` in `skip`.
void note_type(std::string_view line, std::set<std::string, std::less<>>& skip) {
  size_t pos = 1;
  skip_blanks(line, pos);
  if (line.substr(pos, 4) != "TYPE") return;
  pos += 4;
  skip_blanks(line, pos);
  const std::string_view name = read_name(line, pos);
  skip_blanks(line, pos);
  const std::string_view kind = line.substr(pos);
  if (!name.empty() && (kind.starts_with("histogram") || kind.starts_with("summary"))) {
    skip.emplace(name);
  }
}

}  // namespace

PromScrape parse_prom_text(std::string_view text) {
  PromScrape out;
  std::set<std::string, std::less<>> skip;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t lead = 0;
    skip_blanks(line, lead);
    line.remove_prefix(lead);
    if (line.empty()) continue;
    if (line[0] == '#') {
      note_type(line, skip);
      continue;
    }
    auto sample = parse_sample(line);
    if (!sample) {
      ++out.malformed_lines;
      continue;
    }
    if (!in_skipped_family(sample->name, skip)) out.samples.push_back(std::move(*sample));
  }
  return out;
}

}  // namespace logagent::top
