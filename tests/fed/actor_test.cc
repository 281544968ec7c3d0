// Actor documents (sexp/fed/actor.h): written as sx, through AS2 JSON and
// back (sexp::ap), and the key an inbox takes from them — only the
// document's own key, owned by the document's actor.
#include <gtest/gtest.h>

#include <string>

#include "sexp/ap/bridge.h"
#include "sexp/core/reader.h"
#include "sexp/fed/actor.h"
#include "sexp/sig/envelope.h"

namespace sexp::fed {
namespace {

Actor Alice(const sig::Key& key) {
  Actor a = Actor::At("https://a.example", "alice");
  a.display_name = "Alice";
  a.public_key_pem = *key.PublicPem();
  return a;
}

void ExpectSame(const Actor& x, const Actor& y) {
  EXPECT_EQ(x.id, y.id);
  EXPECT_EQ(x.type, y.type);
  EXPECT_EQ(x.name, y.name);
  EXPECT_EQ(x.display_name, y.display_name);
  EXPECT_EQ(x.inbox, y.inbox);
  EXPECT_EQ(x.outbox, y.outbox);
  EXPECT_EQ(x.followers, y.followers);
  EXPECT_EQ(x.following, y.following);
  EXPECT_EQ(x.shared_inbox, y.shared_inbox);
  EXPECT_EQ(x.key_id, y.key_id);
  EXPECT_EQ(x.public_key_pem, y.public_key_pem);
  EXPECT_EQ(x.manually_approves, y.manually_approves);
}

TEST(FedActor, ConventionalUrls) {
  Actor a = Actor::At("https://a.example", "alice");
  EXPECT_EQ(a.id, "https://a.example/users/alice");
  EXPECT_EQ(a.inbox, "https://a.example/users/alice/inbox");
  EXPECT_EQ(a.shared_inbox, "https://a.example/inbox");
  EXPECT_EQ(a.key_id, "https://a.example/users/alice#main-key");
}

TEST(FedActor, TheDocumentReadsBackAsSxAndThroughAs2Json) {
  sig::Key key = *sig::Key::Generate(sig::KeyType::kEd25519);
  Actor alice = Alice(key);
  alice.manually_approves = true;
  std::string sx = ActorSx(alice);
  Result<Document> doc = ReadOne(sx);
  ASSERT_TRUE(doc.ok());
  absl::StatusOr<Actor> back = ParseActor(doc->roots()[0]);
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSame(*back, alice);
  // As a Mastodon reads it, and back.
  Result<std::string> json = ap::ToJson(doc->roots()[0]);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"publicKeyPem\""), std::string::npos) << *json;
  EXPECT_NE(json->find("\"sharedInbox\":\"https://a.example/inbox\""), std::string::npos);
  EXPECT_NE(json->find("\"manuallyApprovesFollowers\":true"), std::string::npos);
  Result<Document> from = ap::FromJson(*json);
  ASSERT_TRUE(from.ok());
  back = ParseActor(from->roots()[0]);
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSame(*back, alice);
}

TEST(FedActor, TheKeyVerifiesWhatTheActorSigned) {
  sig::Key key = *sig::Key::Generate(sig::KeyType::kEd25519);
  Actor alice = Alice(key);
  Result<Document> doc = ReadOne(ActorSx(alice));
  sig::SigResult<OwnedKey> k = KeyFromActor(doc->roots()[0], alice.key_id);
  ASSERT_TRUE(k.ok()) << k.error().ToString();
  EXPECT_EQ(k->owner, alice.id);
  EXPECT_FALSE(k->key.has_private());
  Result<Document> act = ReadOne("(Note :content \"hi\")");
  sig::SignOptions so;
  so.key_id = alice.key_id;
  std::string signed_text = *sig::Sign(act->roots()[0], key, so);
  Result<Document> env = ReadOne(signed_text);
  auto v = sig::Verify(env->roots()[0], [&](std::string_view) { return k->key; });
  EXPECT_TRUE(v.ok());
}

TEST(FedActor, OnlyTheDocumentsOwnKeyOwnedByItsActor) {
  sig::Key key = *sig::Key::Generate(sig::KeyType::kEd25519);
  Actor alice = Alice(key);
  Result<Document> doc = ReadOne(ActorSx(alice));
  EXPECT_EQ(KeyFromActor(doc->roots()[0], "https://a.example/users/alice#other").error().code,
            sig::SigCode::kUnknownKey);
  // A document vouching for a key owned by someone else (Mastodon checks this
  // too: a key's owner must be the actor whose document holds it).
  std::string text = ActorSx(alice);
  const std::string owner = ":owner \"https://a.example/users/alice\"";
  text.replace(text.find(owner), owner.size(), ":owner \"https://m.example/users/mallory\"");
  Result<Document> forged = ReadOne(text);
  EXPECT_EQ(KeyFromActor(forged->roots()[0], alice.key_id).error().code,
            sig::SigCode::kMalformed);
  // Not an actor at all, and a PEM that does not read.
  Result<Document> note = ReadOne("(Note :id \"x\")");
  EXPECT_EQ(KeyFromActor(note->roots()[0], "x").error().code, sig::SigCode::kMalformed);
  alice.public_key_pem = "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n";
  Result<Document> bad = ReadOne(ActorSx(alice));
  EXPECT_FALSE(KeyFromActor(bad->roots()[0], alice.key_id).ok());
}

}  // namespace
}  // namespace sexp::fed
