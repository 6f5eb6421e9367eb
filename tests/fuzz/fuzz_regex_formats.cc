// Fuzz target: the format scanners of the "regex" parser (plugins/parsers/regex/
// format_scanners.h) against RE2 with the built-in patterns they replace, on arbitrary bytes.
//
// For each format (combined, syslog RFC 3164, RFC 5424), the whole input as one text (so '\n'
// inside a text is covered) and each of its '\n'-separated lines are matched by the scanner and by
// RE2, compiled and called as the stage did before scanners (Latin-1, RE2::PartialMatchN). Both
// must agree on match / no match and, on a match, on every group: absent in both, or the same
// bytes at the same position of the text. Each text is a private copy of exactly its size, so a
// scanner reading past it is an ASan error.
#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "plugins/parsers/regex/format_scanners.h"
#include "plugins/parsers/regex/regex_formats.h"

namespace {

namespace regex = logagent::plugins::regex;

std::string printable(std::string_view v) {
  std::string out;
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && u != '\\') {
      out += c;
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// One format: its scanner, and RE2 with its pattern.
struct Format {
  Format(const char* name, const regex::FormatScanner& s) : format(name), scanner(s) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_encoding(RE2::Options::EncodingLatin1);
    const std::string_view pattern = regex::find_regex_format(name);
    re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
    FUZZ_CHECK(re->ok(), format);
    const auto n = static_cast<size_t>(re->NumberOfCapturingGroups());
    FUZZ_CHECK(n == scanner.groups.size(), std::string(format) + ": number of groups");
    for (const auto& [index, group] : re->CapturingGroupNames()) {
      FUZZ_CHECK(scanner.groups[static_cast<size_t>(index) - 1] == group,
                 std::string(format) + ": group " + group + " out of order");
    }
    pieces.resize(n);
    slots.resize(n);
    for (size_t i = 0; i < n; ++i) args.emplace_back(&pieces[i]);
    for (size_t i = 0; i < n; ++i) arg_ptrs.push_back(&args[i]);
  }

  void check(std::string_view text) {
    for (auto& p : pieces) p = re2::StringPiece();
    const bool expected = RE2::PartialMatchN(re2::StringPiece(text.data(), text.size()), *re,
                                             arg_ptrs.data(), static_cast<int>(arg_ptrs.size()));
    const bool got = scanner.scan(text, slots.data());
    const std::string at = std::string(format) + " on \"" + printable(text) + "\"";
    FUZZ_CHECK(got == expected, (expected ? "scanner missed a match: " : "scanner matched: ") + at);
    if (!expected) return;
    for (size_t i = 0; i < slots.size(); ++i) {
      const std::string group = std::string(scanner.groups[i]) + " of " + at;
      const bool present = pieces[i].data() != nullptr;
      FUZZ_CHECK((slots[i].data() != nullptr) == present,
                 (present ? "scanner left out " : "scanner added ") + group);
      if (!present) continue;
      FUZZ_CHECK(slots[i].data() == pieces[i].data() && slots[i].size() == pieces[i].size(),
                 group + ": scanner \"" + printable(slots[i]) + "\" at " +
                     std::to_string(slots[i].data() - text.data()) + ", RE2 \"" +
                     printable(std::string_view(pieces[i].data(), pieces[i].size())) + "\" at " +
                     std::to_string(pieces[i].data() - text.data()));
    }
  }

  const char* format;
  const regex::FormatScanner& scanner;
  std::unique_ptr<RE2> re;
  std::vector<re2::StringPiece> pieces;
  std::vector<RE2::Arg> args;
  std::vector<const RE2::Arg*> arg_ptrs;
  std::vector<std::string_view> slots;
};

// Checks `text` with every format, from a copy of exactly its size.
void check_all(std::vector<Format>& formats, const uint8_t* data, size_t size) {
  auto copy = std::make_unique<char[]>(size == 0 ? 1 : size);
  if (size > 0) std::memcpy(copy.get(), data, size);
  for (Format& f : formats) f.check(std::string_view(copy.get(), size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<Format>* formats = [] {
    auto* v = new std::vector<Format>();
    v->reserve(5);
    v->emplace_back("nginx", regex::combined_scanner());
    v->emplace_back("syslog_rfc3164", regex::syslog_rfc3164_scanner());
    v->emplace_back("syslog_rfc5424", regex::syslog_rfc5424_scanner());
    for (const char* name : {"nginx", "apache", "combined", "syslog_rfc3164", "syslog_rfc5424"}) {
      FUZZ_CHECK(regex::find_format_scanner(name) != nullptr, name);
    }
    return v;
  }();
  check_all(*formats, data, size);
  const void* has_newline = size == 0 ? nullptr : std::memchr(data, '\n', size);
  if (has_newline == nullptr) return 0;
  size_t start = 0;
  while (start <= size) {
    const void* nl = start < size ? std::memchr(data + start, '\n', size - start) : nullptr;
    const size_t end =
        nl == nullptr ? size : static_cast<size_t>(static_cast<const uint8_t*>(nl) - data);
    check_all(*formats, data + start, end - start);
    start = end + 1;
  }
  return 0;
}
