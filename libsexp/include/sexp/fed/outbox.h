// sexp/fed/outbox.h — who gets an activity, and when a failed delivery is
// tried again (spec/federation.md "Delivery"). Pure functions: the store
// (sexp/fed/store.h) keeps the queue, the delivery loop (sexp/fed/deliver.h)
// does the I/O.
//
//   std::vector<std::string> inboxes = Recipients(followers, {to_actor_inbox});
//   store.Enqueue(activity, inboxes, now);
//   …
//   switch (Classify(http_status)) { … }
//   std::optional<int64_t> again = NextAttempt(policy, delivery, now, random64);
#ifndef SEXP_FED_OUTBOX_H_
#define SEXP_FED_OUTBOX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sexp/fed/store.h"

namespace sexp::fed {

// The inboxes an activity goes to: each accepted follower's inbox, or its
// server's shared inbox when it has one (one POST per server, however many
// of its actors follow), then the `extra` inboxes (a directed `:to`) — each
// inbox once, in that order. Pending and rejected followers get nothing.
std::vector<std::string> Recipients(const std::vector<Follow>& followers,
                                    const std::vector<std::string>& extra = {});

// Exponential backoff with jitter, and when to give up.
struct RetryPolicy {
  int64_t first_delay_ms = 1000;                        // after the first failure
  double factor = 2.0;                                  // each failure multiplies the delay
  int64_t max_delay_ms = int64_t{6} * 3600 * 1000;      // never longer than this
  double jitter = 0.2;                                  // ± this fraction of the delay
  int64_t give_up_after_ms = int64_t{7} * 24 * 3600 * 1000;  // since enqueued: dead letter
  int max_attempts = 0;                                 // 0: no limit but the age
};

// When to try `d` again after a failure at `now` (its attempts so far are
// d.attempts; this one makes d.attempts + 1): now + the delay, jittered by
// `random` (any 64 random bits), or nullopt when the policy gives up.
std::optional<int64_t> NextAttempt(const RetryPolicy& policy, const Delivery& d, int64_t now,
                                   uint64_t random);

// What an inbox's answer means for a delivery.
enum class Outcome {
  kDelivered,  // 2xx
  kRetry,      // 5xx, 408, 429, no answer (refused, reset, timeout)
  kGiveUp,     // other 4xx: the same request will not succeed (a dead letter at once)
};
// `status` 0: no HTTP answer at all.
Outcome Classify(int status);

}  // namespace sexp::fed

#endif  // SEXP_FED_OUTBOX_H_
