// Actor documents and their keys (sexp/fed/actor.h).
#include "sexp/fed/actor.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/strutil.h"
#include "fed/object.h"
#include "sexp/core/writer.h"

namespace sexp::fed {

using ::sexp::internal::AV;
using fed_internal::Property;
using fed_internal::StringProperty;

namespace {

}  // namespace

Actor Actor::At(std::string_view base, std::string_view name) {
  Actor a;
  a.id = absl::StrCat(AV(base), "/users/", AV(name));
  a.name = std::string(name);
  a.inbox = a.id + "/inbox";
  a.outbox = a.id + "/outbox";
  a.followers = a.id + "/followers";
  a.following = a.id + "/following";
  a.shared_inbox = absl::StrCat(AV(base), "/inbox");
  a.key_id = a.id + "#main-key";
  return a;
}

std::string ActorSx(const Actor& a) {
  Builder b;
  std::vector<Node> items = {b.Symbol(a.type.empty() ? "Person" : a.type)};
  auto pair = [&](std::string_view key, Node value) {
    items.push_back(b.Keyword(key));
    items.push_back(value);
  };
  pair("id", b.String(a.id));
  if (!a.name.empty()) pair("preferred-username", b.String(a.name));
  if (!a.display_name.empty()) pair("name", b.String(a.display_name));
  pair("inbox", b.String(a.inbox));
  if (!a.outbox.empty()) pair("outbox", b.String(a.outbox));
  if (!a.followers.empty()) pair("followers", b.String(a.followers));
  if (!a.following.empty()) pair("following", b.String(a.following));
  if (!a.shared_inbox.empty()) {
    pair("endpoints", b.Dict({b.Keyword("shared-inbox"), b.String(a.shared_inbox)}));
  }
  pair("manually-approves-followers", b.Bool(a.manually_approves));
  if (!a.key_id.empty()) {
    pair("public-key", b.List({b.Symbol("Key"), b.Keyword("id"), b.String(a.key_id),
                               b.Keyword("owner"), b.String(a.id), b.Keyword("public-key-pem"),
                               b.String(a.public_key_pem)}));
  }
  Node root = b.List(items);
  Result<std::string> text = Canonical(root);
  return text.ok() ? *text : std::string();
}

absl::StatusOr<Actor> ParseActor(const Node& doc) {
  if (!doc.is_list() || doc.size() == 0 || !doc[0].is_symbol()) {
    return absl::InvalidArgumentError("an actor document is a (Type :k v …) object");
  }
  Actor a;
  a.type = std::string(doc[0].name());
  a.id = StringProperty(doc, "id");
  a.inbox = StringProperty(doc, "inbox");
  if (a.id.empty() || a.inbox.empty()) {
    return absl::InvalidArgumentError("an actor document needs an :id and an :inbox");
  }
  a.name = StringProperty(doc, "preferred-username");
  a.display_name = StringProperty(doc, "name");
  a.outbox = StringProperty(doc, "outbox");
  a.followers = StringProperty(doc, "followers");
  a.following = StringProperty(doc, "following");
  if (const Node* e = Property(doc, "endpoints")) {
    a.shared_inbox = StringProperty(*e, "shared-inbox");
  }
  if (const Node* m = Property(doc, "manually-approves-followers"); m != nullptr && m->is_bool()) {
    a.manually_approves = m->as_bool();
  }
  if (const Node* k = Property(doc, "public-key")) {
    a.key_id = StringProperty(*k, "id");
    a.public_key_pem = StringProperty(*k, "public-key-pem");
  }
  return a;
}

sig::SigResult<OwnedKey> KeyFromActor(const Node& doc, std::string_view key_id) {
  absl::StatusOr<Actor> a = ParseActor(doc);
  if (!a.ok()) return sig::Fail(sig::SigCode::kMalformed, std::string(a.status().message()));
  const Node* k = Property(doc, "public-key");
  if (k == nullptr || a->key_id != key_id) {
    return sig::Fail(sig::SigCode::kUnknownKey,
                     absl::StrCat("the actor ", a->id, " has no key ", AV(key_id)));
  }
  // A key says whose it is; an actor document may only vouch for its own.
  if (StringProperty(*k, "owner") != a->id) {
    return sig::Fail(sig::SigCode::kMalformed,
                     absl::StrCat("the key ", AV(key_id), " is not owned by ", a->id));
  }
  sig::SigResult<sig::Key> key = sig::Key::FromPem(a->public_key_pem);
  if (!key.ok()) return key.error();
  return OwnedKey{key->PublicOnly(), a->id};
}

}  // namespace sexp::fed
