// PodMetadata: what the Kubernetes API server says about one pod that the tail input may add to a
// file's source fields, and the parsers of the API's pod LIST responses and WATCH events.
//
// Only the labels and annotations named by a PodSelection (fnmatch globs over their keys) are
// kept, in document order, labels first, within `max_bytes` (keys plus values) per pod: an entry
// that does not fit is left out and counted in PodMetadata::cut (never silently). Everything else
// of the pod (spec, status) is skipped by the parser, never stored.
//
// A LIST response is a PodList ("items", "metadata.resourceVersion", "metadata.continue"); a WATCH
// stream is one JSON object a line: {"type": "ADDED|MODIFIED|DELETED|BOOKMARK|ERROR",
// "object": ...}, where an ERROR's object is a Status ({"code": 410, ...} when the
// resourceVersion the watch started from is gone).
//
// Threads: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/status.h"

namespace logagent::plugins::tail {

using MetadataEntries = std::vector<std::pair<std::string, std::string>>;

struct PodMetadata {
  std::string namespace_name;
  std::string name;
  std::string uid;
  MetadataEntries labels;       // selected, in document order
  MetadataEntries annotations;  // selected, in document order
  uint64_t cut = 0;             // selected entries left out for PodSelection::max_bytes
};

struct PodSelection {
  std::vector<std::string> labels;       // globs over label keys; empty: none
  std::vector<std::string> annotations;  // globs over annotation keys; empty: none
  size_t max_bytes = 4096;               // keys plus values kept per pod, at most
};

struct PodList {
  std::vector<PodMetadata> pods;
  std::string resource_version;
  std::string continue_token;  // "" on the last page
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

struct WatchEvent {
  WatchEventType type = WatchEventType::kError;
  PodMetadata pod;               // kAdded, kModified, kDeleted
  std::string resource_version;  // of the object (a pod's, or a bookmark's)
  int64_t code = 0;              // kError: the Status code (410: resourceVersion expired)
  std::string message;           // kError: the Status message
};

Result<PodList> parse_pod_list(std::string_view json, const PodSelection& select);
Result<WatchEvent> parse_watch_event(std::string_view json, const PodSelection& select);

}  // namespace logagent::plugins::tail
