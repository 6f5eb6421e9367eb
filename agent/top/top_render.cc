#include "agent/top/top_render.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace logagent::top {

namespace {

constexpr int kNameMin = 20;
constexpr int kNameMax = 48;
constexpr int kFigures = kTableWidth - kNameMin;  // the columns after the name

std::string ascii(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  return out;
}

std::string fit(const std::string& s, int width) {
  const auto w = static_cast<size_t>(std::max(width, 0));
  if (s.size() <= w) return s + std::string(w - s.size(), ' ');
  if (w == 0) return "";
  return s.substr(0, w - 1) + "~";
}

std::string cut(std::string line, int width) {
  const auto w = static_cast<size_t>(std::max(width, 0));
  if (line.size() > w) line.resize(w);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

std::string scaled(double v, const char* const* units, int n, double step) {
  if (!std::isfinite(v) || v < 0) v = 0;
  if (v < step) {
    const bool fraction = v < 10 && v != std::floor(v);
    return fraction ? fmt::format("{:.1f}", v) : fmt::format("{:.0f}", v);
  }
  const double original = v;
  int i = 0;
  while (i + 1 < n && v >= step) {
    v /= step;
    ++i;
  }
  if (v >= step) return fmt::format("{:.0e}", original);  // beyond the largest unit
  const char* pattern = v < 10 ? "{:.2f}{}" : v < 100 ? "{:.1f}{}" : "{:.0f}{}";
  return fmt::format(fmt::runtime(pattern), v, units[i]);
}

std::string row_text(const TopRow& r, int name_width) {
  const std::string name = r.is_sink ? "  " + ascii(r.name) : ascii(r.name);
  if (r.is_sink) {
    return fmt::format("{} {:>8} {:>8} {:>7.1f} {:>7} {:>8} {:>5} {:>7}", fit(name, name_width), "",
                       compact_count(r.events_out_per_s), r.mib_per_s, "", "", "",
                       compact_count(r.errors));
  }
  return fmt::format("{} {:>8} {:>8} {:>7.1f} {:>7} {:>8} {:>5} {:>7}", fit(name, name_width),
                     compact_count(r.events_in_per_s), compact_count(r.events_out_per_s),
                     r.mib_per_s, fmt::format("{:.1f}s", std::max(r.lag_seconds, 0.0)),
                     compact_bytes(r.bytes_behind), compact_count(r.files_open),
                     compact_count(r.errors));
}

}  // namespace

std::string compact_count(double v) {
  static const char* const kUnits[] = {"", "k", "M", "G", "T"};
  return scaled(v, kUnits, 5, 1000.0);
}

std::string compact_bytes(double v) {
  static const char* const kUnits[] = {"", "Ki", "Mi", "Gi", "Ti"};
  return scaled(v, kUnits, 5, 1024.0);
}

std::vector<std::string> render_table(const TopView& view, const std::string& status, int width) {
  const int name_width = std::clamp(width - kFigures, kNameMin, kNameMax);
  std::vector<std::string> lines;
  lines.push_back(cut(ascii(status), width));
  lines.push_back(cut(fmt::format("{} {:>8} {:>8} {:>7} {:>7} {:>8} {:>5} {:>7}",
                                  fit("PIPELINE / SINK", name_width), "IN/S", "OUT/S", "MIB/S",
                                  "LAG", "BEHIND", "FILES", "ERRORS"),
                      width));
  for (const TopRow& r : view.rows) lines.push_back(cut(row_text(r, name_width), width));
  if (view.rows.empty()) lines.push_back(cut("(no pipeline reports metrics yet)", width));
  return lines;
}

}  // namespace logagent::top
