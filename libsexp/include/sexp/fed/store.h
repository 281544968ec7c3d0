// sexp/fed/store.h — where federation keeps its state (spec/federation.md
// "Storage"): the outbox (activities and one delivery row per recipient
// inbox), what the inbox received (deduplicated by activity id), followers
// and follows with their state, dead letters, and the relay's queues.
//
//   auto store = sexp::fed::OpenSqliteStore("/var/lib/site/fed.sqlite");
//   (*store)->Enqueue({.id = act_id, .actor = me, .type = "Create", .body = text},
//                     {"https://b.example/inbox", "https://c.example/inbox"}, now_ms);
//   for (const auto& d : *(*store)->Claim(now_ms, 64, 30'000)) { … deliver …
//     (*store)->Delivered(d.row); }
//
// Guarantees (each call is one transaction):
//   - Enqueue stores the activity and all of its deliveries, or nothing; a
//     second Enqueue of the same activity id adds nothing (idempotent).
//   - A delivery stays until Delivered or Kill: a crash at any instant —
//     `kill -9` — loses none. It may be delivered again after a crash
//     between the POST and Delivered (at least once): receivers dedup by
//     activity id (Receive does).
//   - Claim leases what it returns until now + lease: other threads and
//     processes sharing the store do not take it meanwhile; a lease that
//     runs out (its holder died) makes the delivery claimable again, and a
//     holder that comes back frees its own at once (ReleaseLeases).
//
// Times are milliseconds since the Unix epoch, passed in by the caller (the
// store never reads a clock: tests drive time). Stores are thread-safe.
#ifndef SEXP_FED_STORE_H_
#define SEXP_FED_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sexp::fed {

// An activity a local actor publishes.
struct OutboundActivity {
  std::string id;     // the activity's id (a URL); unique
  std::string actor;  // the local actor's id
  std::string type;   // "Create", "Follow", …
  std::string body;   // what is delivered (canonical sx, or AS2 JSON)
};

// One activity to one inbox.
struct Delivery {
  int64_t row = 0;  // the delivery's handle in the store
  std::string activity_id;
  std::string actor;
  std::string inbox;
  std::string body;
  int attempts = 0;        // failed attempts so far
  int64_t created_at = 0;  // when it was enqueued
  int64_t next_at = 0;     // not before
  std::string last_error;
};

// A delivery given up on (Kill): kept with its last error until retried.
struct DeadLetter {
  int64_t row = 0;
  std::string activity_id;
  std::string inbox;
  int attempts = 0;
  int64_t created_at = 0;
  int64_t died_at = 0;
  std::string last_error;
};

// An activity an inbox accepted.
struct InboundActivity {
  std::string id;
  std::string actor;        // the verified sender
  std::string recipient;    // the local actor whose inbox took it ("" shared)
  std::string type;
  std::string body;         // canonical sx
  std::string verified_by;  // how: "sx-signature ed25519 <key-id>", "rfc9421 …", …
  int64_t received_at = 0;
};

enum class FollowState { kPending, kAccepted, kRejected };
std::string_view FollowStateName(FollowState s);  // "pending" "accepted" "rejected"

// A follow between a local actor and a remote one, either way.
struct Follow {
  std::string local;   // the local actor's id
  std::string remote;  // the other actor's id
  std::string inbox;   // the remote actor's inbox
  std::string shared_inbox;  // its server's shared inbox ("" none)
  FollowState state = FollowState::kPending;
  std::string follow_id;  // the Follow activity's id
  int64_t updated_at = 0;
};

// An activity the relay holds for a member who is away.
struct Held {
  int64_t seq = 0;  // increasing per member
  std::string activity_id;
  std::string body;
  int64_t held_at = 0;
};

struct PeerDepth {
  std::string inbox;
  uint64_t pending = 0;
  std::string last_error;
};

struct StoreStatus {
  uint64_t activities_out = 0;
  uint64_t activities_in = 0;
  uint64_t deliveries_pending = 0;
  uint64_t dead_letters = 0;
  std::vector<PeerDepth> peers;  // pending deliveries per inbox, deepest first
};

class FedStore {
 public:
  virtual ~FedStore() = default;

  // --- outbox
  // True when stored; false when the id was already there (nothing added).
  virtual absl::StatusOr<bool> Enqueue(const OutboundActivity& activity,
                                       const std::vector<std::string>& inboxes, int64_t now) = 0;
  // Up to `max` deliveries due at `now` (next_at <= now, lease free), oldest
  // first, at most `per_inbox` of one inbox (counting those under way);
  // leased to `owner` until now + lease_ms.
  virtual absl::StatusOr<std::vector<Delivery>> Claim(int64_t now, size_t max,
                                                      int64_t lease_ms,
                                                      size_t per_inbox = SIZE_MAX,
                                                      std::string_view owner = {}) = 0;
  // Frees the leases `owner` holds (a restarted process that is `owner`
  // again: what it had under way when it died is due at once rather than
  // when the leases run out). How many.
  virtual absl::StatusOr<uint64_t> ReleaseLeases(std::string_view owner) = 0;
  virtual absl::Status Delivered(int64_t row) = 0;
  // The attempt failed: tried again at `next_at`, `error` kept.
  virtual absl::Status Retry(int64_t row, int64_t next_at, std::string_view error) = 0;
  // Given up: moved to the dead letters with `error`.
  virtual absl::Status Kill(int64_t row, int64_t now, std::string_view error) = 0;
  // Dead letters back into the outbox, due now (`inbox` empty: all of them);
  // how many.
  virtual absl::StatusOr<uint64_t> Revive(std::string_view inbox, int64_t now) = 0;
  virtual absl::StatusOr<std::vector<DeadLetter>> DeadLetters(size_t max) = 0;
  // The outbound activity `id` (its body), or NotFound.
  virtual absl::StatusOr<OutboundActivity> Outbound(std::string_view id) = 0;
  // A local actor's outbound activities, newest first, `offset` skipped.
  virtual absl::StatusOr<std::vector<OutboundActivity>> OutboxOf(std::string_view actor,
                                                                 size_t offset, size_t max) = 0;
  virtual absl::StatusOr<uint64_t> OutboxCount(std::string_view actor) = 0;

  // --- inbox
  // True when new and stored; false when `activity.id` was received before
  // (for that recipient): the duplicate is dropped.
  virtual absl::StatusOr<bool> Receive(const InboundActivity& activity) = 0;
  // Whether `id` was received for `recipient`.
  virtual absl::StatusOr<bool> HasReceived(std::string_view id, std::string_view recipient) = 0;
  // Received activities, oldest first, after the `after`th.
  virtual absl::StatusOr<std::vector<InboundActivity>> Received(std::string_view recipient,
                                                                size_t after, size_t max) = 0;

  // --- follows (`followers`: remote actors following a local one;
  // `following`: remote actors a local one follows)
  virtual absl::Status PutFollower(const Follow& f) = 0;
  virtual absl::Status RemoveFollower(std::string_view local, std::string_view remote) = 0;
  virtual absl::StatusOr<std::vector<Follow>> Followers(std::string_view local) = 0;
  virtual absl::Status PutFollowing(const Follow& f) = 0;
  virtual absl::Status RemoveFollowing(std::string_view local, std::string_view remote) = 0;
  virtual absl::StatusOr<std::vector<Follow>> Following(std::string_view local) = 0;

  // --- relay
  // Holds `body` for `member`; its sequence number. Idempotent per
  // (member, activity id): holding it again returns the first number.
  virtual absl::StatusOr<int64_t> Hold(std::string_view member, std::string_view activity_id,
                                       std::string_view body, int64_t now) = 0;
  // What is held for `member` after `after`, in order.
  virtual absl::StatusOr<std::vector<Held>> HeldFor(std::string_view member, int64_t after,
                                                    size_t max) = 0;
  // The member has everything through `seq`: it is dropped. How many.
  virtual absl::StatusOr<uint64_t> Ack(std::string_view member, int64_t seq) = 0;

  // --- key-value (actor keys, settings)
  virtual absl::Status Put(std::string_view key, std::string_view value) = 0;
  // NotFound when absent.
  virtual absl::StatusOr<std::string> Get(std::string_view key) = 0;

  virtual absl::StatusOr<StoreStatus> Status() = 0;
};

// SQLite (WAL, synchronous=FULL: a transaction that returned is on disk;
// one transaction per call). The file is created with its schema if absent.
// Several processes may open one file: SQLite's locking serializes the
// writers (busy waits up to `busy_timeout_ms`).
absl::StatusOr<std::unique_ptr<FedStore>> OpenSqliteStore(const std::string& path,
                                                          int busy_timeout_ms = 5000);

}  // namespace sexp::fed

#endif  // SEXP_FED_STORE_H_
