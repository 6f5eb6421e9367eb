#include "plugins/inputs/tail/pod_metadata.h"

#include <fnmatch.h>
#include <simdjson.h>

namespace logagent::plugins::tail {
namespace {

namespace dom = simdjson::dom;

bool selected(const std::vector<std::string>& globs, const std::string& key) {
  for (const std::string& g : globs) {
    if (::fnmatch(g.c_str(), key.c_str(), 0) == 0) return true;
  }
  return false;
}

std::string string_at(dom::element object, std::string_view key) {
  std::string_view v;
  if (object[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

// The selected entries of the string map `map` into `out`, within `budget` bytes.
void select_entries(dom::element map, const std::vector<std::string>& globs, size_t& budget,
                    MetadataEntries& out, uint64_t& cut) {
  dom::object object;
  if (globs.empty() || map.get_object().get(object) != simdjson::SUCCESS) return;
  for (dom::key_value_pair kv : object) {
    std::string key(kv.key);
    std::string_view value;
    if (!selected(globs, key) || kv.value.get_string().get(value) != simdjson::SUCCESS) continue;
    const size_t size = key.size() + value.size();
    if (size > budget) {
      ++cut;
      continue;
    }
    budget -= size;
    out.emplace_back(std::move(key), std::string(value));
  }
}

// The pod of a Pod object; false when it has no metadata.name.
bool read_pod(dom::element pod, const PodSelection& select, PodMetadata& out,
              std::string* resource_version) {
  dom::element meta;
  if (pod["metadata"].get(meta) != simdjson::SUCCESS) return false;
  out.name = string_at(meta, "name");
  if (out.name.empty()) return false;
  out.namespace_name = string_at(meta, "namespace");
  out.uid = string_at(meta, "uid");
  if (resource_version != nullptr) *resource_version = string_at(meta, "resourceVersion");
  size_t budget = select.max_bytes;
  dom::element map;
  if (meta["labels"].get(map) == simdjson::SUCCESS) {
    select_entries(map, select.labels, budget, out.labels, out.cut);
  }
  if (meta["annotations"].get(map) == simdjson::SUCCESS) {
    select_entries(map, select.annotations, budget, out.annotations, out.cut);
  }
  return true;
}

Result<WatchEventType> event_type(std::string_view type) {
  if (type == "ADDED") return WatchEventType::kAdded;
  if (type == "MODIFIED") return WatchEventType::kModified;
  if (type == "DELETED") return WatchEventType::kDeleted;
  if (type == "BOOKMARK") return WatchEventType::kBookmark;
  if (type == "ERROR") return WatchEventType::kError;
  return Status::error("unknown watch event type '" + std::string(type) + "'");
}

}  // namespace

Result<PodList> parse_pod_list(std::string_view json, const PodSelection& select) {
  dom::parser parser;
  const simdjson::padded_string text(json);
  dom::element doc;
  if (auto err = parser.parse(text).get(doc); err != simdjson::SUCCESS) {
    return Status::error(std::string("pod list: ") + simdjson::error_message(err));
  }
  dom::array items;
  if (doc["items"].get_array().get(items) != simdjson::SUCCESS) {
    return Status::error("pod list: no 'items' array");
  }
  PodList list;
  dom::element meta;
  if (doc["metadata"].get(meta) == simdjson::SUCCESS) {
    list.resource_version = string_at(meta, "resourceVersion");
    list.continue_token = string_at(meta, "continue");
  }
  for (dom::element item : items) {
    PodMetadata pod;
    if (read_pod(item, select, pod, nullptr)) list.pods.push_back(std::move(pod));
  }
  return list;
}

Result<WatchEvent> parse_watch_event(std::string_view json, const PodSelection& select) {
  dom::parser parser;
  const simdjson::padded_string text(json);
  dom::element doc;
  if (auto err = parser.parse(text).get(doc); err != simdjson::SUCCESS) {
    return Status::error(std::string("watch event: ") + simdjson::error_message(err));
  }
  std::string_view type;
  dom::element object;
  if (doc["type"].get_string().get(type) != simdjson::SUCCESS ||
      doc["object"].get(object) != simdjson::SUCCESS) {
    return Status::error("watch event: no 'type' or 'object'");
  }
  Result<WatchEventType> t = event_type(type);
  if (!t) return Status::error("watch event: " + t.message());
  WatchEvent event;
  event.type = *t;
  if (event.type == WatchEventType::kError) {
    int64_t code = 0;
    if (object["code"].get_int64().get(code) == simdjson::SUCCESS) event.code = code;
    event.message = string_at(object, "message");
    return event;
  }
  if (event.type == WatchEventType::kBookmark) {
    dom::element meta;
    if (object["metadata"].get(meta) == simdjson::SUCCESS) {
      event.resource_version = string_at(meta, "resourceVersion");
    }
    return event;
  }
  if (!read_pod(object, select, event.pod, &event.resource_version)) {
    return Status::error("watch event: a pod without metadata.name");
  }
  return event;
}

}  // namespace logagent::plugins::tail
