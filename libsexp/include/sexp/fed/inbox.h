// sexp/fed/inbox.h — what an inbox does with a POST (spec/federation.md
// "Inbox"), without I/O of its own: the host hands it the request as
// received, it answers with a status.
//
//   size limit → content type → parse (sx, or AS2 JSON through sexp::ap)
//   → signature: a (signed …) envelope around the activity, or an HTTP
//     signature on the request (RFC 9421 or cavage) → the key's owner is the
//     activity's actor → not seen before (by id, per recipient) → behaviors
//     → stored (FedStore::Receive)
//
//   sexp::fed::Inbox inbox(*store, [&](std::string_view key_id) { return keys.Lookup(key_id); });
//   sexp::fed::InboxResult r = inbox.Receive({.recipient = me, .http = request, .now = now});
//   respond(r.status, r.message);
//
// Nothing is stored and no behavior runs unless every step passed. Threads:
// Receive may be called from several threads at once if the KeyLookup and
// behaviors may; the store is thread-safe.
#ifndef SEXP_FED_INBOX_H_
#define SEXP_FED_INBOX_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "sexp/core/ast.h"
#include "sexp/fed/store.h"
#include "sexp/sig/httpsig.h"
#include "sexp/sig/key.h"

namespace sexp::fed {

// A public key and the actor it belongs to (from the actor's document:
// `:public-key (key :id … :owner … :public-key-pem …)`).
struct OwnedKey {
  sig::Key key;
  std::string owner;
};
// Key id → the key and its owner; an error (normally `unknown-key`) when
// there is none. May fetch (the host's business); called at most once per
// signature.
using KeyLookup = std::function<sig::SigResult<OwnedKey>(std::string_view key_id)>;

struct InboxLimits {
  size_t max_body_bytes = size_t{1} << 20;
  size_t max_depth = 64;  // nesting of the activity
  // The signature's time window (HTTP signatures and envelopes alike), as
  // Mastodon's: an hour ahead, twelve hours behind.
  int64_t max_skew_s = 3600;
  int64_t max_age_s = 12 * 3600;
};

struct InboxRequest {
  std::string recipient;  // the local actor whose inbox; "" for the shared inbox
  sig::HttpMessage http;  // the POST as received: method, absolute target, fields, body
  int64_t now = 0;        // milliseconds since the epoch
};

struct InboxResult {
  // 202 accepted; 200 a duplicate (accepted before); 400 malformed or no id
  // or actor; 401 unsigned or a signature that does not verify; 403 signed
  // by someone other than the actor; 413 too large; 415 not sx or AS2 JSON;
  // 500 the store failed (the sender tries again).
  int status = 500;
  // "accepted" "duplicate" "malformed" "no-id" "unsigned" "bad-signature"
  // "wrong-actor" "too-large" "unsupported-type" "store"
  std::string code;
  std::string message;  // for logs; names no key material
  std::string activity_id;
  std::string actor;
  std::string type;         // "Create", …
  std::string verified_by;  // "sx-signature ed25519 KEY-ID", "rfc9421 ed25519 KEY-ID", …
  std::string canonical;    // the activity's canonical sx, as stored
  std::string behavior_error;  // a behavior that failed (the activity is stored anyway)
};

// Runs for each new, verified activity before it is stored; `activity` is
// the activity itself (inside any envelope). An error is kept in the
// result; it does not refuse the activity (it was verified).
using Behavior = std::function<absl::Status(const Node& activity, const InboxResult& so_far)>;

class Inbox {
 public:
  // `store` must outlive the Inbox.
  Inbox(FedStore& store, KeyLookup keys, InboxLimits limits = {});
  void SetBehavior(Behavior behavior) { behavior_ = std::move(behavior); }
  InboxResult Receive(const InboxRequest& request);

 private:
  FedStore& store_;
  KeyLookup keys_;
  InboxLimits limits_;
  Behavior behavior_;
};

}  // namespace sexp::fed

#endif  // SEXP_FED_INBOX_H_
