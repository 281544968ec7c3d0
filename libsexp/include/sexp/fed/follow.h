// sexp/fed/follow.h — the follow state machine (spec/federation.md
// "Follows"), over a FedStore, without I/O: it says what to send, the
// caller enqueues it (FedStore::Enqueue, then the delivery loop posts it).
//
//   Follow → pending → Accept (accepted) or Reject (rejected); Undo ends it.
//
// Both directions: a local actor following a remote one (`following`), and
// remote actors following a local one (`followers`, accepted at once unless
// the local actor approves followers by hand).
//
//   sexp::fed::Follows follows(*store);
//   auto out = follows.Follow(me, target, now);           // (Follow …) for target's inbox
//   store->Enqueue(out->activity, out->inboxes, now);
//   // an activity the inbox accepted (verified), with its sender's document:
//   for (auto& reply : *follows.OnActivity(me, activity, sender, now)) store->Enqueue(…);
//
// Threads: as the store (thread-safe); a Follows holds no state of its own.
#ifndef SEXP_FED_FOLLOW_H_
#define SEXP_FED_FOLLOW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sexp/core/ast.h"
#include "sexp/fed/actor.h"
#include "sexp/fed/store.h"

namespace sexp::fed {

// An activity to send and where.
struct Outgoing {
  OutboundActivity activity;  // body: canonical sx
  std::vector<std::string> inboxes;
};

// A new activity id of `actor`: ACTOR-ID/activities/<32 random hex digits>.
std::string NewActivityId(const Actor& actor);

class Follows {
 public:
  explicit Follows(FedStore& store) : store_(store) {}

  // `me` asks to follow `target`: records the follow as pending and returns
  // the (Follow :id … :actor me :object target) for target's inbox. Asking
  // again while pending or accepted sends the same request again (a peer
  // that was down, or lost it): the Follow's id is kept.
  absl::StatusOr<Outgoing> Follow(const Actor& me, const Actor& target, int64_t now);
  // `me` stops following `target`: (Undo (Follow …)) for its inbox, and the
  // follow is forgotten. NotFound when `me` did not follow it.
  absl::StatusOr<Outgoing> Unfollow(const Actor& me, const Actor& target, int64_t now);

  // An activity addressed to `me`, verified as `sender`'s (sexp/fed/inbox.h),
  // with `sender`'s actor document. Follow, Accept, Reject and Undo of a
  // Follow change the state; every other activity changes nothing. The
  // replies to send: an Accept for a Follow `me` accepts.
  absl::StatusOr<std::vector<Outgoing>> OnActivity(const Actor& me, const Node& activity,
                                                   const Actor& sender, int64_t now);

  // By hand, for a `me` that approves followers: accept or reject a pending
  // follower; the Accept or Reject to send. NotFound when none is pending.
  absl::StatusOr<Outgoing> Decide(const Actor& me, std::string_view follower, bool accept,
                                  int64_t now);

 private:
  FedStore& store_;
};

}  // namespace sexp::fed

#endif  // SEXP_FED_FOLLOW_H_
