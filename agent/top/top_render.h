// The table of `logagent top` as plain text lines of a fixed width: one row per pipeline, its
// sinks indented under it. Used as is by `top --once`, and drawn by the live view.
//
// A row never exceeds `width` columns: names are cut to their column with a trailing '~', and at
// widths under the table's own (77 columns) every line is cut. Names are printed in ASCII: a
// control character or a byte of a multibyte character becomes '?', so a name cannot move the
// cursor and its width is its length. Figures are compact: 12.3k events/s, 4.50Mi bytes; beyond
// the largest unit, 1e+30.
//
// Pure functions; no terminal codes.
#pragma once

#include <string>
#include <vector>

#include "agent/top/top_model.h"

namespace logagent::top {

// The shortest width render_table() lays out in full.
inline constexpr int kTableWidth = 77;

// The header line (`status`, cut to `width`), the column titles, then the rows; when `view` has
// no pipeline a line says so.
std::vector<std::string> render_table(const TopView& view, const std::string& status, int width);

// A count with a k/M/G suffix in at most 6 characters ("987", "12.3k", "4.56M").
std::string compact_count(double v);
// Bytes with a Ki/Mi/Gi/Ti suffix in at most 7 characters ("512", "1.5Ki", "20.0Mi").
std::string compact_bytes(double v);

}  // namespace logagent::top
