// sexp/fed/actor.h — actors as federation sees them: the document a host
// serves for a local actor, read back from any peer's document (sx, or AS2
// JSON through sexp::ap), and the public key an inbox verifies with.
//
//   sexp::fed::Actor alice = sexp::fed::Actor::At("https://a.example", "alice");
//   alice.public_key_pem = *key.PublicPem();
//   std::string doc = sexp::fed::ActorSx(alice);    // (Person :id … :public-key (Key …))
//   // a peer, later:
//   auto k = sexp::fed::KeyFromActor(doc_node, "https://a.example/users/alice#main-key");
//
// Pure functions; any thread.
#ifndef SEXP_FED_ACTOR_H_
#define SEXP_FED_ACTOR_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sexp/core/ast.h"
#include "sexp/fed/inbox.h"
#include "sexp/sig/error.h"

namespace sexp::fed {

struct Actor {
  std::string id;  // "https://a.example/users/alice"
  std::string type = "Person";
  std::string name;          // preferredUsername: "alice"
  std::string display_name;  // name: "Alice" ("" none)
  std::string inbox, outbox, followers, following;
  std::string shared_inbox;  // endpoints.sharedInbox ("" none)
  std::string key_id;        // publicKey.id
  std::string public_key_pem;
  bool manually_approves = false;  // follow requests wait for approval

  // The conventional URLs of actor `name` on the host at `base` ("https://
  // a.example", no trailing slash): /users/NAME, …/inbox, …/outbox,
  // …/followers, …/following, /inbox (shared), …#main-key.
  static Actor At(std::string_view base, std::string_view name);
};

// The actor's document as canonical sx:
//   (Person :id … :preferred-username … [:name …] :inbox … :outbox …
//           :followers … :following … [:endpoints {:shared-inbox …}]
//           :manually-approves-followers false
//           :public-key (Key :id … :owner … :public-key-pem …))
// sexp::ap::ToJson turns it into the AS2 JSON a Mastodon reads.
std::string ActorSx(const Actor& actor);

// An actor document read back (from sx, or from AS2 JSON through
// sexp::ap::FromJson): InvalidArgument when it is not an object with an
// :id and an :inbox.
absl::StatusOr<Actor> ParseActor(const Node& document);

// The public key `key_id` from an actor document, with its owner: the key
// must be the document's (:public-key's :id), owned by the document's actor
// (:owner equal to :id), and a PEM that reads. Otherwise `unknown-key`
// (another key id) or `malformed`.
sig::SigResult<OwnedKey> KeyFromActor(const Node& document, std::string_view key_id);

}  // namespace sexp::fed

#endif  // SEXP_FED_ACTOR_H_
