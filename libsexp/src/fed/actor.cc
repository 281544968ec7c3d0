// Actor documents and their keys (sexp/fed/actor.h).
#include "sexp/fed/actor.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/strutil.h"
#include "sexp/core/writer.h"

namespace sexp::fed {

using ::sexp::internal::AV;

namespace {

// `:name`'s value in a list-form object, or in a dict; null when absent.
const Node* Get(const Node& object, std::string_view name) {
  if (object.is_dict()) {
    for (size_t i = 0; i + 1 < object.size(); i += 2) {
      if (object[i].is_keyword() && object[i].name() == name) return &object[i + 1];
    }
    return nullptr;
  }
  if (!object.is_list()) return nullptr;
  for (size_t i = 1; i + 1 < object.size(); ++i) {
    if (object[i].is_keyword() && object[i].name() == name) return &object[i + 1];
    if (object[i].is_keyword()) ++i;
  }
  return nullptr;
}

std::string Str(const Node* v) {
  return v != nullptr && v->is_string() ? std::string(v->str()) : std::string();
}

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
  a.id = Str(Get(doc, "id"));
  a.inbox = Str(Get(doc, "inbox"));
  if (a.id.empty() || a.inbox.empty()) {
    return absl::InvalidArgumentError("an actor document needs an :id and an :inbox");
  }
  a.name = Str(Get(doc, "preferred-username"));
  a.display_name = Str(Get(doc, "name"));
  a.outbox = Str(Get(doc, "outbox"));
  a.followers = Str(Get(doc, "followers"));
  a.following = Str(Get(doc, "following"));
  if (const Node* e = Get(doc, "endpoints")) a.shared_inbox = Str(Get(*e, "shared-inbox"));
  if (const Node* m = Get(doc, "manually-approves-followers"); m != nullptr && m->is_bool()) {
    a.manually_approves = m->as_bool();
  }
  if (const Node* k = Get(doc, "public-key")) {
    a.key_id = Str(Get(*k, "id"));
    a.public_key_pem = Str(Get(*k, "public-key-pem"));
  }
  return a;
}

sig::SigResult<OwnedKey> KeyFromActor(const Node& doc, std::string_view key_id) {
  absl::StatusOr<Actor> a = ParseActor(doc);
  if (!a.ok()) return sig::Fail(sig::SigCode::kMalformed, std::string(a.status().message()));
  const Node* k = Get(doc, "public-key");
  if (k == nullptr || a->key_id != key_id) {
    return sig::Fail(sig::SigCode::kUnknownKey,
                     absl::StrCat("the actor ", a->id, " has no key ", AV(key_id)));
  }
  // A key says whose it is; an actor document may only vouch for its own.
  if (Str(Get(*k, "owner")) != a->id) {
    return sig::Fail(sig::SigCode::kMalformed,
                     absl::StrCat("the key ", AV(key_id), " is not owned by ", a->id));
  }
  sig::SigResult<sig::Key> key = sig::Key::FromPem(a->public_key_pem);
  if (!key.ok()) return key.error();
  return OwnedKey{key->PublicOnly(), a->id};
}

}  // namespace sexp::fed
