// sexp/fed/relay.h — the relay's side of hello / queued / ack
// (spec/federation.md "Relay"): it holds activities for members who are
// away and hands them over when they come back; a member's queue empties
// only through its `ack`.
//
//   member → relay:  (hello :actor "https://b.example/users/bob" :last-seen 0)
//   relay → member:  (queued :count 3 :since 0 :through 3 ACT ACT ACT)
//   member → relay:  (ack :actor "https://b.example/users/bob" :through 3)
//   relay → member:  (acked :dropped 3 :through 3)
//
// Messages come over an authenticated channel (a (signed …) envelope or a
// verified connection): OnMessage is given who sent it, and a message about
// another actor is refused. Threads: as the store.
#ifndef SEXP_FED_RELAY_H_
#define SEXP_FED_RELAY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sexp/core/ast.h"
#include "sexp/fed/store.h"

namespace sexp::fed {

class Relay {
 public:
  // At most `max_batch` activities per `queued` (the member asks again
  // with the last one it saw).
  explicit Relay(FedStore& store, size_t max_batch = 100) : store_(store), max_batch_(max_batch) {}

  // Holds `activity` (canonical sx, with its :id) for `member`; its number
  // in the member's queue. Holding the same activity again returns the
  // same number.
  absl::StatusOr<int64_t> Hold(std::string_view member, std::string_view activity_id,
                               std::string_view activity, int64_t now);

  // A member's `hello` or `ack`, sent by `sender` (already verified): the
  // answer's canonical text. InvalidArgument for anything else or a
  // malformed message; PermissionDenied when :actor is not `sender`.
  absl::StatusOr<std::string> OnMessage(std::string_view sender, const Node& message);

 private:
  FedStore& store_;
  size_t max_batch_;
};

}  // namespace sexp::fed

#endif  // SEXP_FED_RELAY_H_
