// The inbox pipeline (sexp/fed/inbox.h) with real keys: sx activities in
// (signed …) envelopes and AS2 JSON with HTTP signatures (RFC 9421 and
// cavage) are accepted once; forged, unsigned, tampered, replayed, stale,
// wrong-actor, oversized and mistyped deliveries are refused with nothing
// stored and no behavior run.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sexp/core/reader.h"
#include "fed/temp_dir.h"
#include "sexp/fed/inbox.h"
#include "sexp/fed/store.h"
#include "sexp/sig/envelope.h"
#include "sexp/sig/httpsig.h"

namespace sexp::fed {
namespace {


constexpr int64_t kNow = 1'765'000'000'000;  // ms
constexpr char kAlice[] = "https://a.example/users/alice";
constexpr char kMallory[] = "https://m.example/users/mallory";
constexpr char kInbox[] = "https://b.example/users/bob/inbox";

class InboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenSqliteStore(dir_.File("in.sqlite"));
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    alice_ = *sig::Key::Generate(sig::KeyType::kEd25519);
    mallory_ = *sig::Key::Generate(sig::KeyType::kEd25519);
    alice_rsa_ = *sig::Key::Generate(sig::KeyType::kRsa);
    keys_[std::string(kAlice) + "#main-key"] = {alice_.PublicOnly(), kAlice};
    keys_[std::string(kAlice) + "#rsa-key"] = {alice_rsa_.PublicOnly(), kAlice};
    keys_[std::string(kMallory) + "#main-key"] = {mallory_.PublicOnly(), kMallory};
    inbox_ = std::make_unique<Inbox>(*store_, [this](std::string_view id)
                                                   -> sig::SigResult<OwnedKey> {
      ++lookups_;
      auto it = keys_.find(std::string(id));
      if (it == keys_.end()) return sig::Fail(sig::SigCode::kUnknownKey, "unknown key");
      return it->second;
    });
    inbox_->SetBehavior([this](const Node& act, const InboxResult& r) {
      fired_.push_back(r.activity_id);
      EXPECT_TRUE(act.is_list());
      return absl::OkStatus();
    });
  }
  void TearDown() override {
    inbox_.reset();
    store_.reset();
  }

  static std::string Activity(const std::string& id, const std::string& actor) {
    return absl::StrCat("(Create :id \"", id, "\" :actor \"", actor,
                        "\" :to (:public) (Note :content \"hi\"))");
  }
  std::string Envelope(const std::string& activity, const sig::Key& key, const std::string& key_id,
                       int64_t created = kNow / 1000) {
    Result<Document> doc = ReadOne(activity);
    EXPECT_TRUE(doc.ok());
    sig::SignOptions o;
    o.key_id = key_id;
    o.created = created;
    sig::SigResult<std::string> text = sig::Sign(doc->roots()[0], key, o);
    EXPECT_TRUE(text.ok());
    return *text;
  }
  static sig::HttpMessage Post(std::string body, std::string type = "application/x-sexpr") {
    return sig::HttpMessage::Request("POST", kInbox,
                                     {{"Host", "b.example"}, {"Content-Type", std::move(type)}},
                                     std::move(body));
  }
  // Adds an HTTP signature by `key` to `m`.
  static void HttpSign(sig::HttpMessage& m, const sig::Key& key, std::string key_id,
                       sig::Scheme scheme = sig::Scheme::kRfc9421, int64_t created = kNow / 1000) {
    sig::HttpSignOptions o;
    o.scheme = scheme;
    o.key_id = std::move(key_id);
    o.created = created;
    sig::SigResult<sig::HeaderList> add = sig::SignMessage(m, key, o);
    ASSERT_TRUE(add.ok()) << add.error().ToString();
    for (auto& h : *add) m.headers.push_back(h);
  }
  InboxResult Deliver(sig::HttpMessage m, int64_t now = kNow) {
    return inbox_->Receive({kInbox, std::move(m), now});
  }
  size_t Stored() { return store_->Received(kInbox, 0, 1000)->size(); }

  testing::TempDir dir_;
  std::unique_ptr<FedStore> store_;
  sig::Key alice_, mallory_, alice_rsa_;
  std::map<std::string, OwnedKey> keys_;
  std::unique_ptr<Inbox> inbox_;
  std::vector<std::string> fired_;
  int lookups_ = 0;
};

TEST_F(InboxTest, ASignedSxActivityIsAcceptedOnceAndItsBehaviorFiresOnce) {
  std::string env = Envelope(Activity("https://a.example/act/1", kAlice), alice_,
                             std::string(kAlice) + "#main-key");
  InboxResult r = Deliver(Post(env));
  EXPECT_EQ(r.status, 202) << r.code << ": " << r.message;
  EXPECT_EQ(r.code, "accepted");
  EXPECT_EQ(r.type, "Create");
  EXPECT_EQ(r.actor, kAlice);
  EXPECT_EQ(r.verified_by, absl::StrCat("sx-signature ed25519 ", kAlice, "#main-key"));
  EXPECT_EQ(fired_, std::vector<std::string>{"https://a.example/act/1"});
  // The same activity again (a redelivery after a lost answer): 200, kept once.
  r = Deliver(Post(env));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.code, "duplicate");
  EXPECT_EQ(fired_.size(), 1u);
  ASSERT_EQ(Stored(), 1u);
  auto got = store_->Received(kInbox, 0, 10);
  EXPECT_EQ((*got)[0].body, "(Create :actor \"https://a.example/users/alice\" :id "
                            "\"https://a.example/act/1\" :to (:public) (Note :content \"hi\"))");
}

TEST_F(InboxTest, As2JsonWithAnHttpSignatureIsAcceptedEitherScheme) {
  std::string json = absl::StrCat(
      R"({"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"https://a.example/act/j1","actor":")",
      kAlice, R"(","object":{"type":"Note","content":"<p>hi</p>"}})");
  sig::HttpMessage m = Post(json, "application/activity+json");
  HttpSign(m, alice_, std::string(kAlice) + "#main-key");
  InboxResult r = Deliver(m);
  EXPECT_EQ(r.status, 202) << r.code << ": " << r.message;
  EXPECT_EQ(r.verified_by, absl::StrCat("rfc9421 ed25519 ", kAlice, "#main-key"));
  EXPECT_NE(r.canonical.find("(Note (p \"hi\"))"), std::string::npos) << r.canonical;
  // Mastodon's way: cavage with an RSA key, ld+json with a profile.
  std::string json2 = json;
  json2.replace(json2.find("act/j1"), 6, "act/j2");
  sig::HttpMessage c = Post(json2, "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"");
  HttpSign(c, alice_rsa_, std::string(kAlice) + "#rsa-key", sig::Scheme::kCavage);
  r = Deliver(c);
  EXPECT_EQ(r.status, 202) << r.code << ": " << r.message;
  EXPECT_EQ(r.verified_by, absl::StrCat("cavage rsa-v1_5-sha256 ", kAlice, "#rsa-key"));
  EXPECT_EQ(fired_.size(), 2u);
}

TEST_F(InboxTest, UnsignedForgedAndTamperedDeliveriesAreRefusedAndNothingIsKept) {
  const std::string key_id = std::string(kAlice) + "#main-key";
  // Unsigned, sx and JSON.
  EXPECT_EQ(Deliver(Post(Activity("https://a.example/act/2", kAlice))).code, "unsigned");
  EXPECT_EQ(Deliver(Post(R"({"type":"Create","id":"x","actor":"y"})", "application/activity+json"))
                .code,
            "unsigned");
  // Forged: mallory's key claiming alice's key id.
  InboxResult r = Deliver(Post(Envelope(Activity("https://a.example/act/3", kAlice), mallory_, key_id)));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.code, "bad-signature");
  // Tampered after signing: the object's content changed.
  std::string env = Envelope(Activity("https://a.example/act/4", kAlice), alice_, key_id);
  env.replace(env.find("\"hi\""), 4, "\"ho\"");
  EXPECT_EQ(Deliver(Post(env)).code, "bad-signature");
  // An HTTP-signed JSON body changed in transit: the digest no longer matches.
  sig::HttpMessage m = Post(R"({"type":"Create","id":"https://a.example/act/5","actor":"https://a.example/users/alice"})",
                            "application/activity+json");
  HttpSign(m, alice_, key_id);
  m.body.replace(m.body.find("act/5"), 5, "act/6");
  EXPECT_EQ(Deliver(m).code, "bad-signature");
  // A key nobody knows.
  EXPECT_EQ(Deliver(Post(Envelope(Activity("https://a.example/act/7", kAlice), alice_,
                                  "https://nowhere/key")))
                .code,
            "bad-signature");
  // Signed too long ago (a replay of an old delivery), and from the future.
  EXPECT_EQ(Deliver(Post(Envelope(Activity("https://a.example/act/8", kAlice), alice_, key_id,
                                  kNow / 1000 - 14 * 3600)))
                .code,
            "bad-signature");
  EXPECT_EQ(Deliver(Post(Envelope(Activity("https://a.example/act/9", kAlice), alice_, key_id,
                                  kNow / 1000 + 2 * 3600)))
                .code,
            "bad-signature");
  EXPECT_EQ(Stored(), 0u);
  EXPECT_TRUE(fired_.empty());
}

TEST_F(InboxTest, ASignatureByAnotherActorIsRefused) {
  // Mallory signs (validly, with her own key) an activity claiming alice.
  InboxResult r = Deliver(Post(Envelope(Activity("https://a.example/act/10", kAlice), mallory_,
                                        std::string(kMallory) + "#main-key")));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.code, "wrong-actor");
  sig::HttpMessage m = Post(Activity("https://a.example/act/11", kAlice));
  HttpSign(m, mallory_, std::string(kMallory) + "#main-key");
  EXPECT_EQ(Deliver(m).code, "wrong-actor");
  EXPECT_EQ(Stored(), 0u);
  EXPECT_TRUE(fired_.empty());
}

TEST_F(InboxTest, SizeTypeAndShapeAreCheckedFirst) {
  const std::string key_id = std::string(kAlice) + "#main-key";
  std::string big = Activity("https://a.example/act/12", kAlice);
  big.insert(big.size() - 2, std::string(2 << 20, 'x'));
  InboxResult r = Deliver(Post(big));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(lookups_, 0);  // refused before any key was looked up
  EXPECT_EQ(Deliver(Post("(x)", "text/html")).status, 415);
  EXPECT_EQ(Deliver(Post("(Create :id")).code, "malformed");
  EXPECT_EQ(Deliver(Post(Envelope("(Create :actor \"https://a.example/users/alice\")", alice_,
                                  key_id)))
                .code,
            "no-id");
  EXPECT_EQ(Deliver(Post(Envelope("\"just a string\"", alice_, key_id))).code, "malformed");
  EXPECT_EQ(Stored(), 0u);
}

TEST_F(InboxTest, TheActorMayBeAnEmbeddedObject) {
  std::string act = absl::StrCat("(Update :id \"https://a.example/act/13\" :actor (Person :id \"",
                                 kAlice, "\" :name \"Alice\"))");
  InboxResult r = Deliver(Post(Envelope(act, alice_, std::string(kAlice) + "#main-key")));
  EXPECT_EQ(r.status, 202) << r.message;
  EXPECT_EQ(r.actor, kAlice);
}

}  // namespace
}  // namespace sexp::fed
