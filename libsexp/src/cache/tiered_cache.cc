// TieredCache: lookup in order, fill upwards on a hit, write through on Put.
// A tier's failure is data for the stats, never an error of the cache: a
// failed Get is treated as a miss of that tier, a failed Put or fill leaves
// that tier without the entry. Counters are atomics; the last error text of
// each tier sits under one mutex, taken only when there is an error.
#include <atomic>
#include <mutex>

#include "sexp/cache/cache.h"

namespace sexp {
namespace {

struct Counters {
  std::atomic<uint64_t> hits{0}, misses{0}, errors{0}, puts{0}, fills{0};
  std::atomic<uint64_t> bytes_read{0}, bytes_written{0};
  std::string last_error;  // guarded by Impl::error_mu
};

}  // namespace

struct TieredCache::Impl {
  std::vector<std::unique_ptr<CacheTier>> tiers;
  std::unique_ptr<Counters[]> counters;
  std::atomic<uint64_t> gets{0}, hits{0}, misses{0}, puts{0};
  mutable std::mutex error_mu;

  void Failed(size_t i, std::string_view op, const absl::Status& s) {
    counters[i].errors.fetch_add(1, std::memory_order_relaxed);
    std::string text = std::string(op) + ": " + s.ToString();
    std::lock_guard<std::mutex> lock(error_mu);
    counters[i].last_error = std::move(text);
  }
};

TieredCache::TieredCache(std::vector<std::unique_ptr<CacheTier>> tiers)
    : impl_(std::make_unique<Impl>()) {
  impl_->tiers = std::move(tiers);
  impl_->counters = std::make_unique<Counters[]>(impl_->tiers.size());
}
TieredCache::~TieredCache() = default;

size_t TieredCache::tier_count() const { return impl_->tiers.size(); }
CacheTier& TieredCache::tier(size_t i) { return *impl_->tiers.at(i); }

std::optional<std::string> TieredCache::Get(const Digest& key, Deadline deadline) {
  Impl& m = *impl_;
  m.gets.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < m.tiers.size(); ++i) {
    absl::StatusOr<std::optional<std::string>> got = m.tiers[i]->Get(key, deadline);
    if (!got.ok()) {
      m.Failed(i, "get", got.status());
      continue;
    }
    if (!got->has_value()) {
      m.counters[i].misses.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    std::string& bytes = **got;
    m.counters[i].hits.fetch_add(1, std::memory_order_relaxed);
    m.counters[i].bytes_read.fetch_add(bytes.size(), std::memory_order_relaxed);
    for (size_t j = 0; j < i; ++j) {  // the tiers above did not have it
      if (absl::Status s = m.tiers[j]->Put(key, bytes, deadline); !s.ok()) {
        m.Failed(j, "fill", s);
      } else {
        m.counters[j].fills.fetch_add(1, std::memory_order_relaxed);
        m.counters[j].bytes_written.fetch_add(bytes.size(), std::memory_order_relaxed);
      }
    }
    m.hits.fetch_add(1, std::memory_order_relaxed);
    return std::move(bytes);
  }
  m.misses.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

void TieredCache::Put(const Digest& key, std::string_view bytes, Deadline deadline) {
  Impl& m = *impl_;
  m.puts.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < m.tiers.size(); ++i) {
    if (absl::Status s = m.tiers[i]->Put(key, bytes, deadline); !s.ok()) {
      m.Failed(i, "put", s);
      continue;
    }
    m.counters[i].puts.fetch_add(1, std::memory_order_relaxed);
    m.counters[i].bytes_written.fetch_add(bytes.size(), std::memory_order_relaxed);
  }
}

CacheStats TieredCache::stats() const {
  const Impl& m = *impl_;
  CacheStats out;
  out.gets = m.gets.load();
  out.hits = m.hits.load();
  out.misses = m.misses.load();
  out.puts = m.puts.load();
  std::lock_guard<std::mutex> lock(m.error_mu);
  for (size_t i = 0; i < m.tiers.size(); ++i) {
    const Counters& c = m.counters[i];
    TierStats t;
    t.name = std::string(m.tiers[i]->name());
    t.hits = c.hits.load();
    t.misses = c.misses.load();
    t.errors = c.errors.load();
    t.puts = c.puts.load();
    t.fills = c.fills.load();
    t.bytes_read = c.bytes_read.load();
    t.bytes_written = c.bytes_written.load();
    t.integrity_failures = m.tiers[i]->integrity_failures();
    t.last_error = c.last_error;
    out.tiers.push_back(std::move(t));
  }
  return out;
}

}  // namespace sexp
