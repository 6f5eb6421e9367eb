#include "plugins/inputs/tail/rename_history.h"

#include <iterator>
#include <utility>

namespace logagent::plugins::tail {

void RenameHistory::release(int64_t& token) {
  if (token >= 0 && closer_) closer_(token);
  token = -1;
}

void RenameHistory::arrive(const std::string& path, Entry entry) {
  auto it = pending_.find(path);
  if (it != pending_.end()) {
    // The name is taken over (a rename onto it, or created again after a delete not yet read):
    // the entry that had it is gone.
    Entry old = std::move(it->second);
    pending_.erase(it);
    lose(path, std::move(old), "overwritten");
  }
  entry.stale = true;
  entry.age = 0;
  auto p = pinned_.find(path);
  if (p != pinned_.end()) {
    // A scan already opened the file under this name: this arrival is taken to be that file.
    release(entry.pin);
    entry.pin = p->second;
    entry.stale = false;
    pinned_.erase(p);
  }
  pending_.emplace(path, std::move(entry));
}

void RenameHistory::lose(const std::string& path, Entry entry, const char* reason) {
  lost_.push_back({path, std::move(entry.first_path), reason, entry.pin});
}

void RenameHistory::created(const std::string& path) {
  if (matcher_(path)) {
    arrive(path, Entry{path});
  } else if (auto it = pending_.find(path); it != pending_.end()) {
    Entry old = std::move(it->second);
    pending_.erase(it);
    lose(path, std::move(old), "overwritten");
  }
}

void RenameHistory::moved_from(const std::string& path, uint32_t cookie) {
  auto it = pending_.find(path);
  if (it == pending_.end()) {
    if (matcher_(path)) known_moves_[cookie] = 0;
    return;
  }
  moving_[cookie] = Moving{std::move(it->second), path, 0};
  pending_.erase(it);
}

void RenameHistory::moved_to(const std::string& path, uint32_t cookie) {
  auto it = moving_.find(cookie);
  if (it != moving_.end()) {
    Entry entry = std::move(it->second.entry);
    moving_.erase(it);
    arrive(path, std::move(entry));
    return;
  }
  if (auto k = known_moves_.find(cookie); k != known_moves_.end()) {
    // A known file renamed (app.log -> app.log.1 under "app.log*"): nothing new arrives, but a
    // pending file under the target name is replaced.
    known_moves_.erase(k);
    if (auto p = pending_.find(path); p != pending_.end()) {
      Entry old = std::move(p->second);
      pending_.erase(p);
      lose(path, std::move(old), "overwritten");
    }
    return;
  }
  // A file arrives from outside the watched directories, or from a name that was not matched.
  created(path);
}

void RenameHistory::deleted(const std::string& path) {
  if (auto p = pinned_.find(path); p != pinned_.end()) {
    release(p->second);
    pinned_.erase(p);
  }
  auto it = pending_.find(path);
  if (it == pending_.end()) return;
  Entry old = std::move(it->second);
  pending_.erase(it);
  lose(path, std::move(old), "deleted");
}

void RenameHistory::end_batch() {
  for (auto it = moving_.begin(); it != moving_.end();) {
    if (++it->second.batches > 1) {
      lose(it->second.from, std::move(it->second.entry), "moved_away");
      it = moving_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = known_moves_.begin(); it != known_moves_.end();) {
    it = ++it->second > 1 ? known_moves_.erase(it) : std::next(it);
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    Entry& e = it->second;
    if (!e.stale && ++e.age >= 1) {
      if (e.pin >= 0 && confirmer_) confirmer_(e.pin);
      release(e.pin);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  // A pin's arrival event comes in the batch after the scan that made it, or never (the file
  // arrived before its directory was watched): either way it is stale now.
  for (auto& [path, token] : pinned_) release(token);
  pinned_.clear();
}

void RenameHistory::clear() {
  for (auto& [path, e] : pending_) release(e.pin);
  for (auto& [cookie, m] : moving_) release(m.entry.pin);
  for (auto& [path, token] : pinned_) release(token);
  for (Lost& l : lost_) release(l.pin);
  pending_.clear();
  moving_.clear();
  known_moves_.clear();
  pinned_.clear();
  lost_.clear();
}

void RenameHistory::pinned_at(const std::string& path, int64_t token) {
  auto [it, inserted] = pinned_.try_emplace(path, token);
  if (!inserted) {
    release(it->second);
    it->second = token;
  }
}

std::vector<std::string> RenameHistory::to_open() const {
  std::vector<std::string> out;
  for (const auto& [path, entry] : pending_) {
    if (entry.stale) out.push_back(path);
  }
  return out;
}

void RenameHistory::opened(const std::string& path, int64_t token) {
  auto it = pending_.find(path);
  if (it == pending_.end()) {
    int64_t t = token;
    release(t);
    return;
  }
  if (it->second.pin >= 0 && superseder_) {
    superseder_(std::exchange(it->second.pin, -1), token);
  } else {
    release(it->second.pin);
  }
  it->second.pin = token;
  it->second.stale = false;
  it->second.age = 0;  // resolved by the next end_batch(): that batch is read after this open
}

std::vector<RenameHistory::Lost> RenameHistory::take_lost() { return std::exchange(lost_, {}); }

}  // namespace logagent::plugins::tail
