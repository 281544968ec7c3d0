// Signed sx: the envelope is canonical text, its signed bytes are the
// canonical form of (sx-signature-v1 …), re-spellings verify, changes of
// meaning fail, co-signatures verify one by one, and every refusal has its
// code.
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "sexp/sig/envelope.h"
#include "test_util.h"

namespace sexp::sig {
namespace {

constexpr int64_t kNow = 1733500000;

Document Read1(std::string_view text) {
  Result<Document> d = ReadOne(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.error().ToString();
  return std::move(*d);
}

struct Fixture {
  std::map<std::string, Key, std::less<>> keys;
  KeyResolver resolver() {
    return [this](std::string_view id) -> SigResult<Key> {
      auto it = keys.find(id);
      if (it == keys.end()) return Fail(SigCode::kUnknownKey, "no key");
      return it->second.type() == KeyType::kHmacSecret ? it->second : it->second.PublicOnly();
    };
  }
};

VerifyOptions At(int64_t now) {
  VerifyOptions o;
  o.now = now;
  return o;
}

const char kNote[] =
    "(Create :id \"https://rose-ash.com/ap/act/1\" :actor \"https://rose-ash.com/ap/users/alice\""
    " (Note :content \"hello\" :tags [\"a\" \"b\"] :n 3))";
const char kAlice[] = "https://rose-ash.com/ap/users/alice#main-key";

TEST(Envelope, SignProducesCanonicalTextThatVerifies) {
  Fixture f;
  f.keys[kAlice] = *Key::Generate(KeyType::kEd25519);
  Document inner = Read1(kNote);
  SigResult<std::string> text = Sign(inner.roots()[0], f.keys[kAlice], {.key_id = kAlice, .alg = {}, .created = kNow});
  ASSERT_TRUE(text.ok()) << text.error().ToString();
  Document env = Read1(*text);
  EXPECT_EQ(*Canonical(env.roots()[0]), *text);  // already canonical
  EXPECT_EQ(text->rfind("(signed :alg \"ed25519\" :created 1733500000 :key-id ", 0), 0u) << *text;
  SigResult<std::vector<Verified>> v = Verify(env.roots()[0], f.resolver(), At(kNow));
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0].key_id, kAlice);
  EXPECT_EQ((*v)[0].created, kNow);
}

TEST(Envelope, SignedBytesAreTheCanonicalDomainSeparatedForm) {
  Document inner = Read1(kNote);
  SigResult<std::string> bytes = SignedBytes("ed25519", kNow, kAlice, inner.roots()[0]);
  ASSERT_TRUE(bytes.ok());
  // The same list read from text and written by the canonical writer.
  Document expect = Read1(std::string("(sx-signature-v1 :key-id \"") + kAlice +
                          "\" :created 1733500000 :alg \"ed25519\" " + kNote + ")");
  EXPECT_EQ(*bytes, *Canonical(expect.roots()[0]));
}

TEST(Envelope, AnySpellingVerifiesAnyChangeFails) {
  Fixture f;
  f.keys[kAlice] = *Key::Generate(KeyType::kEd25519);
  Document inner = Read1(kNote);
  std::string text = *Sign(inner.roots()[0], f.keys[kAlice], {.key_id = kAlice, .alg = {}, .created = kNow});
  std::string sig = text.substr(text.find(":sig "), text.find("(Create") - text.find(":sig ") - 1);
  // Re-spelled: fields reordered, whitespace and comments, [] for (), keywords reordered inside.
  std::string respelled = std::string("; a comment\n(signed ") + sig + "\n  :key-id \"" + kAlice +
                          "\" :created 1733500000 :alg \"ed25519\"\n"
                          "  (Create :actor \"https://rose-ash.com/ap/users/alice\" ; who\n"
                          "     :id \"https://rose-ash.com/ap/act/1\" [Note :n 3 :tags (\"a\" \"b\") :content \"hello\"]))";
  Document r = Read1(respelled);
  EXPECT_TRUE(Verify(r.roots()[0], f.resolver(), At(kNow)).ok());
  // Changes of meaning.
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"hello\"", "\"hellO\""}, {":n 3", ":n 4"}, {":n 3", ":n 3.0"},
           {"\"b\")", "\"b\" \"c\")"}, {"Note", "Notes"}, {"1733500000", "1733500001"},
           {"\"ed25519\"", "\"hmac-sha256\""}}) {
    std::string changed = respelled;
    changed.replace(changed.find(from), from.size(), to);
    Document c = Read1(changed);
    SigResult<std::vector<Verified>> v = Verify(c.roots()[0], f.resolver(), At(kNow));
    ASSERT_FALSE(v.ok()) << from << " → " << to;
    EXPECT_TRUE(v.error().code == SigCode::kBadSignature || v.error().code == SigCode::kAlgNotAllowed)
        << v.error().ToString();
  }
}

TEST(Envelope, EveryAlgorithmAndTheKeyIdIsBound) {
  Fixture f;
  f.keys["ed"] = *Key::Generate(KeyType::kEd25519);
  f.keys["rsa"] = *Key::Generate(KeyType::kRsa);
  f.keys["p256"] = *Key::Generate(KeyType::kP256);
  f.keys["hmac"] = *Key::Generate(KeyType::kHmacSecret);
  f.keys["ed2"] = *Key::Generate(KeyType::kEd25519);
  Document inner = Read1("(x 1)");
  for (const char* id : {"ed", "rsa", "p256", "hmac"}) {
    SCOPED_TRACE(id);
    std::string text = *Sign(inner.roots()[0], f.keys[id], {.key_id = id, .alg = {}, .created = kNow});
    Document d = Read1(text);
    VerifyOptions o = At(kNow);
    if (std::string(id) == "hmac") {
      EXPECT_EQ(Verify(d.roots()[0], f.resolver(), o).error().code, SigCode::kAlgNotAllowed);
      o.allowed = o.allowed.With(Alg::kHmacSha256);
    }
    EXPECT_TRUE(Verify(d.roots()[0], f.resolver(), o).ok());
    // The key id of another actor: its key does not verify the signature.
    std::string other = text;
    std::string from = std::string(":key-id \"") + id + "\"";
    other.replace(other.find(from), from.size(), std::string(":key-id \"") + (std::string(id) == "ed" ? "ed2" : "ed") + "\"");
    Document od = Read1(other);
    SigResult<std::vector<Verified>> v = Verify(od.roots()[0], f.resolver(), o);
    ASSERT_FALSE(v.ok());
    EXPECT_TRUE(v.error().code == SigCode::kBadSignature || v.error().code == SigCode::kAlgNotAllowed);
  }
}

TEST(Envelope, CoSignaturesVerifyIndependently) {
  Fixture f;
  f.keys["a"] = *Key::Generate(KeyType::kEd25519);
  f.keys["b"] = *Key::Generate(KeyType::kP256);
  f.keys["c"] = *Key::Generate(KeyType::kEd25519);
  Document inner = Read1(kNote);
  std::string one = *Sign(inner.roots()[0], f.keys["a"], {.key_id = "a", .alg = {}, .created = kNow});
  Document d1 = Read1(one);
  SigResult<std::string> two = CoSign(d1.roots()[0], f.keys["b"], {.key_id = "b", .alg = {}, .created = kNow + 1});
  ASSERT_TRUE(two.ok()) << two.error().ToString();
  Document d2 = Read1(*two);
  std::string three = *CoSign(d2.roots()[0], f.keys["c"], {.key_id = "c", .alg = {}, .created = kNow + 2});
  EXPECT_EQ(three.rfind("(signed :sigs ((sig :alg \"ed25519\" :created 1733500000 :key-id \"a\"", 0), 0u);
  Document d3 = Read1(three);
  SigResult<std::vector<Verified>> all = Verify(d3.roots()[0], f.resolver(), At(kNow));
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].alg, Alg::kEcdsaP256Sha256);
  // Key b unknown to this verifier: a and c still verify on their own.
  f.keys.erase("b");
  std::vector<SigResult<Verified>> each = VerifyEach(d3.roots()[0], f.resolver(), At(kNow));
  ASSERT_EQ(each.size(), 3u);
  EXPECT_TRUE(each[0].ok());
  EXPECT_EQ(each[1].error().code, SigCode::kUnknownKey);
  EXPECT_TRUE(each[2].ok());
  EXPECT_EQ(Verify(d3.roots()[0], f.resolver(), At(kNow)).error().code, SigCode::kUnknownKey);
}

TEST(Envelope, TimeWindow) {
  Fixture f;
  f.keys["k"] = *Key::Generate(KeyType::kEd25519);
  Document inner = Read1("(x)");
  Document d = Read1(*Sign(inner.roots()[0], f.keys["k"], {.key_id = "k", .alg = {}, .created = kNow}));
  EXPECT_TRUE(Verify(d.roots()[0], f.resolver(), At(kNow - 300)).ok());  // inside the skew
  EXPECT_EQ(Verify(d.roots()[0], f.resolver(), At(kNow - 301)).error().code, SigCode::kNotYetValid);
  VerifyOptions o = At(kNow + 100000);
  EXPECT_TRUE(Verify(d.roots()[0], f.resolver(), o).ok());  // no max_age: any age
  o.max_age = 3600;
  EXPECT_EQ(Verify(d.roots()[0], f.resolver(), o).error().code, SigCode::kExpired);
}

}  // namespace
}  // namespace sexp::sig
