// The inbox pipeline (sexp/fed/inbox.h).
#include "sexp/fed/inbox.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/strutil.h"
#include "fed/object.h"
#include "sexp/ap/bridge.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"
#include "sexp/sig/envelope.h"

namespace sexp::fed {

using ::sexp::internal::AV;
using fed_internal::IdOf;
using fed_internal::Property;

namespace {

InboxResult Refuse(int status, std::string code, std::string message) {
  InboxResult r;
  r.status = status;
  r.code = std::move(code);
  r.message = std::move(message);
  return r;
}

// The media type of a Content-Type value, lower case, without parameters.
std::string MediaType(std::string_view field) {
  std::string_view t = field.substr(0, field.find(';'));
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  return absl::AsciiStrToLower(AV(t));
}

}  // namespace

Inbox::Inbox(FedStore& store, KeyLookup keys, InboxLimits limits)
    : store_(store), keys_(std::move(keys)), limits_(limits) {}

InboxResult Inbox::Receive(const InboxRequest& req) {
  const sig::HttpMessage& http = req.http;
  if (http.body.size() > limits_.max_body_bytes) {
    return Refuse(413, "too-large",
                  absl::StrCat("the body is over ", limits_.max_body_bytes, " bytes"));
  }
  const std::string type = MediaType(http.Field("content-type").value_or(""));
  const bool sx = type == "application/x-sexpr";
  const bool json = type == "application/activity+json" || type == "application/ld+json" ||
                    type == "application/json";
  if (!sx && !json) {
    return Refuse(415, "unsupported-type",
                  absl::StrCat("Content-Type '", type,
                               "': expected application/x-sexpr or application/activity+json"));
  }
  const int64_t now_s = req.now / 1000;

  // Whose keys signed: the lookups' owners, by key id.
  std::vector<std::pair<std::string, std::string>> owners;
  sig::KeyResolver resolver = [&](std::string_view key_id) -> sig::SigResult<sig::Key> {
    sig::SigResult<OwnedKey> k = keys_ ? keys_(key_id)
                                       : sig::SigResult<OwnedKey>(sig::Fail(
                                             sig::SigCode::kUnknownKey, "no key lookup"));
    if (!k.ok()) return k.error();
    owners.emplace_back(std::string(key_id), k->owner);
    return k->key;
  };
  auto owner_of = [&](std::string_view key_id) -> std::string {
    for (const auto& [id, owner] : owners) {
      if (id == key_id) return owner;
    }
    return {};
  };

  std::optional<Document> doc;
  const Node* activity = nullptr;
  std::vector<std::pair<std::string, std::string>> signers;  // (owner, how)

  // An HTTP signature, when the request has one (sx may come without: then
  // it must be a (signed …) envelope).
  const bool has_http_sig = http.Field("signature").has_value() ||
                            http.Field("signature-input").has_value() ||
                            absl::StartsWithIgnoreCase(AV(http.Field("authorization").value_or("")),
                                                       "signature ");
  if (has_http_sig) {
    sig::HttpVerifyOptions o;
    o.now = now_s;
    o.max_skew = limits_.max_skew_s;
    o.max_age = limits_.max_age_s;
    sig::SigResult<sig::HttpVerified> v = sig::VerifyMessage(http, resolver, o);
    if (!v.ok()) return Refuse(401, "bad-signature", v.error().ToString());
    signers.emplace_back(owner_of(v->key_id),
                         absl::StrCat(AV(sig::SchemeName(v->scheme)), " ", AV(sig::AlgName(v->alg)),
                                      " ", v->key_id));
  }

  if (json) {
    if (signers.empty()) return Refuse(401, "unsigned", "an AS2 activity needs an HTTP signature");
    ap::FromJsonOptions o;
    o.max_bytes = limits_.max_body_bytes;
    o.max_depth = limits_.max_depth;
    o.signature_verified = true;
    Result<Document> parsed = ap::FromJson(http.body, o);
    if (!parsed.ok()) return Refuse(400, "malformed", parsed.error().ToString());
    doc.emplace(std::move(parsed).value());
    if (doc->roots().size() != 1) return Refuse(400, "malformed", "not one activity");
    activity = &doc->roots()[0];
  } else {
    ReadOptions o;
    o.max_depth = limits_.max_depth;
    o.max_size = limits_.max_body_bytes;
    Result<Document> parsed = ReadOne(http.body, o);
    if (!parsed.ok()) return Refuse(400, "malformed", parsed.error().ToString());
    doc.emplace(std::move(parsed).value());
    const Node& root = doc->roots()[0];
    if (root.is_list() && root.size() != 0 && root[0].is_symbol("signed")) {
      sig::VerifyOptions vo;
      vo.now = now_s;
      vo.max_skew = limits_.max_skew_s;
      vo.max_age = limits_.max_age_s;
      sig::SigResult<sig::Envelope> env = sig::ParseEnvelope(root, vo.limits);
      if (!env.ok()) return Refuse(400, "malformed", env.error().ToString());
      for (const sig::SigResult<sig::Verified>& v : sig::VerifyEach(*env, resolver, vo)) {
        if (!v.ok()) return Refuse(401, "bad-signature", v.error().ToString());
        signers.emplace_back(owner_of(v->key_id), absl::StrCat("sx-signature ",
                                                              AV(sig::AlgName(v->alg)), " ",
                                                              v->key_id));
      }
      activity = env->inner;
    } else {
      if (signers.empty()) {
        return Refuse(401, "unsigned", "neither a (signed …) envelope nor an HTTP signature");
      }
      activity = &root;
    }
  }

  InboxResult r;
  if (!activity->is_list() || activity->size() == 0 || !(*activity)[0].is_symbol()) {
    return Refuse(400, "malformed", "the activity is not a (Type :k v …) object");
  }
  r.type = std::string((*activity)[0].name());
  std::optional<std::string> id = IdOf(Property(*activity, "id"));
  std::optional<std::string> actor = IdOf(Property(*activity, "actor"));
  if (!id || id->empty() || !actor || actor->empty()) {
    return Refuse(400, "no-id", "the activity needs an :id and an :actor");
  }
  r.activity_id = *id;
  r.actor = *actor;
  // The signer must be the actor: a signature says who sent it, and only
  // the actor may speak for itself.
  std::string how;
  for (const auto& [owner, verified] : signers) {
    if (owner == r.actor) {
      how = verified;
      break;
    }
  }
  if (how.empty()) {
    return Refuse(403, "wrong-actor",
                  absl::StrCat("signed by ", signers[0].first.empty() ? "an unknown owner"
                                                                      : signers[0].first,
                               ", not by the actor ", r.actor));
  }
  r.verified_by = how;
  Result<std::string> canonical = Canonical(*activity);
  if (!canonical.ok()) return Refuse(400, "malformed", canonical.error().ToString());
  r.canonical = *std::move(canonical);

  absl::StatusOr<bool> seen = store_.HasReceived(r.activity_id, req.recipient);
  if (!seen.ok()) return Refuse(500, "store", std::string(seen.status().message()));
  if (*seen) {
    r.status = 200;
    r.code = "duplicate";
    return r;
  }
  if (behavior_) {
    absl::Status b = behavior_(*activity, r);
    if (!b.ok()) r.behavior_error = std::string(b.message());
  }
  InboundActivity stored{r.activity_id, r.actor, req.recipient, r.type, r.canonical,
                         r.verified_by, req.now};
  absl::StatusOr<bool> added = store_.Receive(stored);
  if (!added.ok()) return Refuse(500, "store", std::string(added.status().message()));
  r.status = *added ? 202 : 200;
  r.code = *added ? "accepted" : "duplicate";
  return r;
}

}  // namespace sexp::fed
