// MemoryTier: an LRU bounded by the bytes of its values. A std::list holds
// the entries from most to least recently used; a flat_hash_map finds an
// entry's list node by key. Every operation takes one mutex: they are all
// O(1) apart from copying the value in or out.
#include <list>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "sexp/cache/cache.h"

namespace sexp {
namespace {

struct DigestHash {
  size_t operator()(const Digest& d) const {
    return absl::Hash<std::array<uint8_t, 32>>()(d.bytes);
  }
};

struct Entry {
  Digest key;
  std::string value;
};

}  // namespace

struct MemoryTier::Impl {
  explicit Impl(size_t cap) : capacity(cap) {}

  const size_t capacity;
  mutable std::mutex mu;
  std::list<Entry> lru;  // front: most recently used
  absl::flat_hash_map<Digest, std::list<Entry>::iterator, DigestHash> index;
  size_t bytes = 0;
  uint64_t evictions = 0;

  void Erase(std::list<Entry>::iterator it) {
    bytes -= it->value.size();
    index.erase(it->key);
    lru.erase(it);
  }
};

MemoryTier::MemoryTier(size_t capacity_bytes)
    : impl_(std::make_unique<Impl>(capacity_bytes)) {}
MemoryTier::~MemoryTier() = default;

absl::StatusOr<std::optional<std::string>> MemoryTier::Get(const Digest& key) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->index.find(key);
  if (it == impl_->index.end()) return std::optional<std::string>();
  impl_->lru.splice(impl_->lru.begin(), impl_->lru, it->second);
  return std::optional<std::string>(it->second->value);
}

absl::Status MemoryTier::Put(const Digest& key, std::string_view bytes) {
  std::string copy(bytes);  // outside the lock
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl& m = *impl_;
  if (auto it = m.index.find(key); it != m.index.end()) m.Erase(it->second);
  if (copy.size() > m.capacity) return absl::OkStatus();  // would evict everything
  while (m.bytes + copy.size() > m.capacity) {
    m.Erase(std::prev(m.lru.end()));
    ++m.evictions;
  }
  m.bytes += copy.size();
  m.lru.push_front(Entry{key, std::move(copy)});
  m.index.emplace(key, m.lru.begin());
  return absl::OkStatus();
}

size_t MemoryTier::capacity_bytes() const { return impl_->capacity; }

size_t MemoryTier::size_bytes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->bytes;
}

size_t MemoryTier::entries() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->lru.size();
}

uint64_t MemoryTier::evictions() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->evictions;
}

bool MemoryTier::Contains(const Digest& key) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->index.contains(key);
}

}  // namespace sexp
