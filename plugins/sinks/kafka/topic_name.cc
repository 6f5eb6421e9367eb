#include "plugins/sinks/kafka/topic_name.h"

namespace logagent::plugins::kafka {
namespace {

constexpr size_t kMaxTopicLength = 249;

bool topic_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

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
