// sexp/cache/cache.h — a content-addressed cache of rendered subtrees, in tiers
// (spec/cache.md).
//
// A subtree's key is the SHA3-256 of one canonical datum that holds the
// subtree and every value it depends on, so changing the data changes the
// key and nothing ever expires by time. Tiers are looked up in order (fast
// and small first); a hit in a lower tier fills the tiers above it, a Put
// writes through to all, and a tier that fails (Redis down, disk full) is
// skipped, counted and reported, never an error of the cache.
//
//   std::vector<std::unique_ptr<sexp::CacheTier>> tiers;
//   tiers.push_back(std::make_unique<sexp::MemoryTier>(64 << 20));
//   tiers.push_back(std::make_unique<sexp::RedisTier>(sexp::RedisOptions{}));
//   tiers.push_back(std::make_unique<sexp::DiskTier>("/var/cache/sx"));
//   sexp::TieredCache cache(std::move(tiers));
//   absl::StatusOr<sexp::Digest> key =
//       sexp::SubtreeKey(card, {{"post", &post}, {"user", &user}});
//   if (auto html = cache.Get(*key)) return *html;
//   cache.Put(*key, Render(card));
//
// Every type here is safe to use from several threads at once.
#ifndef SEXP_CACHE_CACHE_H_
#define SEXP_CACHE_CACHE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "sexp/core/address.h"
#include "sexp/core/ast.h"

namespace sexp {

// ---------------------------------------------------------------- keys

// One value a subtree depends on, by name. A view: borrows `name` and
// `value` (a Node of a Document that must outlive the SubtreeKey call).
struct KeyInput {
  std::string_view name;  // UTF-8; unique among one key's inputs
  const Node* value;      // not null
};

// The cache key of `subtree` rendered with `inputs`: the SHA3-256 of the
// canonical form of the datum
//
//   (subtree-key-v1 SUBTREE {"name" VALUE …})
//
// whose dict holds the inputs sorted by name (UTF-8 bytes, bytewise), as the
// canonical form sorts a dict's string keys (spec/cache.md, with vectors).
// The canonical writer streams into the hash; no text is built whole. The
// order of `inputs` does not matter. InvalidArgument when the subtree or a
// value has no canonical form (writer errors), a name is not UTF-8, or two
// inputs share a name.
absl::StatusOr<Digest> SubtreeKey(const Node& subtree,
                                  absl::Span<const KeyInput> inputs);

// ---------------------------------------------------------------- tiers

// When a caller stops waiting for I/O (an evaluation's deadline: its I/O
// must not outlast it). Deadline::max(): no deadline of the caller's.
using Deadline = std::chrono::steady_clock::time_point;

// One level of the cache. Implementations are thread-safe.
class CacheTier {
 public:
  virtual ~CacheTier() = default;

  // "memory", "redis", "disk", … (used in stats and error texts).
  virtual std::string_view name() const = 0;
  // The bytes stored under `key`; nullopt when there are none (a miss); an
  // error status when the tier could not answer (it is down, an I/O error).
  virtual absl::StatusOr<std::optional<std::string>> Get(const Digest& key) = 0;
  // Stores `bytes` under `key`, replacing what was there.
  virtual absl::Status Put(const Digest& key, std::string_view bytes) = 0;
  // The same, failing (DeadlineExceeded) rather than waiting past
  // `deadline`. Tiers that wait on a network override these; the defaults
  // ignore the deadline (memory and disk answer without waiting on a peer).
  virtual absl::StatusOr<std::optional<std::string>> Get(const Digest& key, Deadline deadline) {
    (void)deadline;
    return Get(key);
  }
  virtual absl::Status Put(const Digest& key, std::string_view bytes, Deadline deadline) {
    (void)deadline;
    return Put(key, bytes);
  }
  // Stored entries found damaged and discarded since construction (each
  // such Get answered a miss). Only tiers that verify what they read count.
  virtual uint64_t integrity_failures() const { return 0; }
};

// In-process LRU bounded by bytes (the values' sizes). Owns copies of its
// values. A Put larger than the capacity stores nothing (and is not an
// error; an older value of that key is dropped); otherwise the least recently used entries (by Get or Put) are
// evicted until the new one fits.
class MemoryTier final : public CacheTier {
 public:
  explicit MemoryTier(size_t capacity_bytes);
  ~MemoryTier() override;
  MemoryTier(const MemoryTier&) = delete;
  MemoryTier& operator=(const MemoryTier&) = delete;

  std::string_view name() const override { return "memory"; }
  absl::StatusOr<std::optional<std::string>> Get(const Digest& key) override;
  absl::Status Put(const Digest& key, std::string_view bytes) override;

  size_t capacity_bytes() const;
  size_t size_bytes() const;   // sum of the stored values' sizes
  size_t entries() const;
  uint64_t evictions() const;
  // Whether `key` is stored, without touching its recency (for tests).
  bool Contains(const Digest& key) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct RedisOptions {
  std::string host = "127.0.0.1";  // a name is resolved outside the timeouts
  int port = 6379;
  std::string key_prefix = "sexp:cache:";  // Redis key = prefix + key CID
  std::chrono::milliseconds connect_timeout{100};
  // The whole of one command (sending it and reading all of its reply), not
  // each read: a server trickling its reply cannot stretch it. A caller's
  // deadline (CacheTier::Get/Put with a Deadline) shortens it.
  std::chrono::milliseconds command_timeout{100};
  // After a failure the tier answers errors without touching the network
  // until the back-off has passed; it doubles (up to the max) with each
  // failed reconnection and resets after a success.
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{10000};
};

// A Redis server (hiredis, one blocking connection used by one call at a
// time). Owns its connection, opened lazily on first use and reopened after
// a failure once the back-off has passed. Keys never expire: configure the
// server with maxmemory and an allkeys-lru policy.
class RedisTier final : public CacheTier {
 public:
  explicit RedisTier(RedisOptions options);
  ~RedisTier() override;
  RedisTier(const RedisTier&) = delete;
  RedisTier& operator=(const RedisTier&) = delete;

  std::string_view name() const override { return "redis"; }
  absl::StatusOr<std::optional<std::string>> Get(const Digest& key) override;
  absl::Status Put(const Digest& key, std::string_view bytes) override;
  absl::StatusOr<std::optional<std::string>> Get(const Digest& key, Deadline deadline) override;
  absl::Status Put(const Digest& key, std::string_view bytes, Deadline deadline) override;

  // Connection attempts made so far (successful or not).
  uint64_t connect_attempts() const;
  bool connected() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An on-disk content-addressed store under one directory, IPFS-style: each
// value is a blob file named by the CIDv1 of its own bytes (raw codec,
// sha3-256), so equal values are stored once; a small index file per key
// names the key's blob. Every read re-hashes the blob: a damaged or
// truncated one is a miss, counted in integrity_failures(), and removed.
// Writes go to a temporary file that is renamed into place. Nothing bounds
// the store's size yet (spec/cache.md, "Disk layout"). Owns nothing but its
// path; several DiskTiers (or processes) may share one directory.
class DiskTier final : public CacheTier {
 public:
  // `root` is created when first written to ("" means "."). Values over
  // `max_value_bytes` are refused by Put (InvalidArgument); files over it,
  // and files that are not regular files (a symlink, a FIFO), are damage to
  // Get: a miss, removed and counted.
  static constexpr size_t kDefaultMaxValueBytes = size_t{64} << 20;
  explicit DiskTier(std::string root, size_t max_value_bytes = kDefaultMaxValueBytes);
  ~DiskTier() override;
  DiskTier(const DiskTier&) = delete;
  DiskTier& operator=(const DiskTier&) = delete;

  std::string_view name() const override { return "disk"; }
  absl::StatusOr<std::optional<std::string>> Get(const Digest& key) override;
  absl::Status Put(const Digest& key, std::string_view bytes) override;
  uint64_t integrity_failures() const override;

  // Where the blob with CID `cid` and the index entry of `key` live.
  std::string BlobPath(std::string_view cid) const;
  std::string IndexPath(const Digest& key) const;
  const std::string& root() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------- cache

struct TierStats {
  std::string name;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t errors = 0;       // failed Gets, Puts and fills
  uint64_t puts = 0;         // successful Puts (write-through)
  uint64_t fills = 0;        // successful fills after a hit lower down
  uint64_t bytes_read = 0;   // bytes of the hits
  uint64_t bytes_written = 0;  // bytes of the successful Puts and fills
  uint64_t integrity_failures = 0;  // CacheTier::integrity_failures()
  std::string last_error;    // text of the latest error, "" if none yet
};

struct CacheStats {
  uint64_t gets = 0;
  uint64_t hits = 0;    // Gets answered by some tier
  uint64_t misses = 0;  // Gets no tier could answer
  uint64_t puts = 0;
  std::vector<TierStats> tiers;  // in lookup order
};

// Tiers looked up in order. Owns its tiers.
class TieredCache {
 public:
  explicit TieredCache(std::vector<std::unique_ptr<CacheTier>> tiers);
  ~TieredCache();
  TieredCache(const TieredCache&) = delete;
  TieredCache& operator=(const TieredCache&) = delete;

  // The first tier that has `key` answers; the tiers above it that missed
  // or failed are then filled with the bytes. nullopt when no tier has it.
  // Failing tiers are skipped (and counted): Get itself cannot fail.
  // A tier still waiting at `deadline` counts as failing.
  std::optional<std::string> Get(const Digest& key, Deadline deadline = Deadline::max());
  // Writes `bytes` to every tier; failing tiers are skipped and counted.
  void Put(const Digest& key, std::string_view bytes, Deadline deadline = Deadline::max());

  CacheStats stats() const;
  size_t tier_count() const;
  CacheTier& tier(size_t i);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sexp

#endif  // SEXP_CACHE_CACHE_H_
