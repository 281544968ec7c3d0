// Hostile signatures and signed messages: each a clear error, never a crash,
// and never an accepted forgery. (The fuzz targets fuzz_sig_envelope and
// fuzz_structured_fields run the same parsers on random bytes.)
#include <string>

#include "gtest/gtest.h"
#include "sexp/sig/envelope.h"
#include "sexp/sig/http1.h"
#include "sexp/sig/httpsig.h"
#include "sexp/sig/structured_fields.h"
#include "test_util.h"

namespace sexp::sig {
namespace {

constexpr int64_t kNow = 1733500000;

Document Read1(std::string_view text) {
  Result<Document> d = ReadOne(text);
  EXPECT_TRUE(d.ok()) << d.error().ToString();
  return std::move(*d);
}

SigCode EnvelopeCode(std::string_view text, const Key& key, VerifyOptions o = {}) {
  Result<Document> d = ReadOne(text);
  if (!d.ok()) return SigCode::kMalformed;
  o.now = kNow;
  SigResult<std::vector<Verified>> v =
      Verify(d->roots()[0], [&](std::string_view) -> SigResult<Key> { return key; }, o);
  return v.ok() ? SigCode::kOk : v.error().code;
}

TEST(HostileEnvelope, MalformedEnvelopes) {
  Key key = Key::Generate(KeyType::kEd25519)->PublicOnly();
  std::string good_sig = Base64Encode(std::string(64, 'x'));
  auto env = [&](std::string fields) { return "(signed " + fields + " (x))"; };
  std::string all = ":alg \"ed25519\" :created 1 :key-id \"k\" :sig \"" + good_sig + "\"";
  EXPECT_EQ(EnvelopeCode(env(all), key), SigCode::kBadSignature);  // well-formed, wrong bytes
  for (const std::string& bad : {
           std::string("(signed)"), std::string("(signd ") + all + " (x))",
           "(signed " + all + ")",                            // nothing signed
           "(signed " + all + " (x) (y))",                   // two things
           env(":alg \"ed25519\" :created 1 :key-id \"k\""),  // no :sig
           env(all + " :extra 1"),                            // unknown field
           env(":alg \"ed25519\" :created \"1\" :key-id \"k\" :sig \"" + good_sig + "\""),
           env(":alg \"ed25519\" :created -1 :key-id \"k\" :sig \"" + good_sig + "\""),
           env(":alg \"ed25519\" :created 1 :key-id \"\" :sig \"" + good_sig + "\""),
           env(":alg \"ed25519\" :created 1 :key-id \"k\" :sig \"" + good_sig.substr(1) + "\""),  // truncated
           env(":alg \"ed25519\" :created 1 :key-id \"k\" :sig \"!!!!\""),                     // not base64
           env(":alg \"ed25519\" :created 1 :key-id \"k\" :sig \"" + Base64Encode(std::string(2000, 'x')) + "\""),
           env(":alg \"ed25519\" :created 1 :key-id \"" + std::string(5000, 'k') + "\" :sig \"" + good_sig + "\""),
           env(":sigs ()"), env(":sigs ((sig " + all + " (x)))"),
           env(":sigs ((notsig " + all + "))"), env(":sigs 3"),
           "(signed :sigs ((sig " + all + ")) " + all + " (x))",
       }) {
    EXPECT_EQ(EnvelopeCode(bad, key), SigCode::kMalformed) << bad;
  }
  // A repeated field: the reader accepts it, the canonical writer and the parser do not.
  EXPECT_EQ(EnvelopeCode(env(all + " :alg \"ed25519\""), key), SigCode::kMalformed);
}

TEST(HostileEnvelope, AlgorithmConfusion) {
  Key ed = *Key::Generate(KeyType::kEd25519);
  Key rsa = *Key::Generate(KeyType::kRsa);
  Document inner = Read1("(Create (Note \"x\"))");
  // `none`, unknown names and case variants are refused before any key lookup.
  std::string sig = Base64Encode(std::string(64, 'x'));
  for (const char* alg : {"none", "None", "ED25519", "rsa-sha1", "", "hs2019"}) {
    std::string text = std::string("(signed :alg \"") + alg + "\" :created 1 :key-id \"k\" :sig \"" + sig + "\" (x))";
    EXPECT_EQ(EnvelopeCode(text, ed.PublicOnly()), SigCode::kAlgNotAllowed) << alg;
  }
  // The HMAC confusion: a document "signed" with hmac-sha256 using the
  // verifier's *public key PEM* as the secret. The resolver hands out the
  // public key; an HMAC signature is never checked against it.
  std::string pem = *rsa.PublicPem();
  Key forged_secret = *Key::FromSecret(pem);
  std::string forged = *Sign(inner.roots()[0], forged_secret, {.key_id = "k", .alg = {}, .created = kNow});
  VerifyOptions o;
  EXPECT_EQ(EnvelopeCode(forged, rsa.PublicOnly(), o), SigCode::kAlgNotAllowed);
  o.allowed = AlgSet::All();  // even when the verifier allows HMAC at all
  EXPECT_EQ(EnvelopeCode(forged, rsa.PublicOnly(), o), SigCode::kAlgNotAllowed);
  // An Ed25519 signature presented as RSA, and the reverse.
  std::string eds = *Sign(inner.roots()[0], ed, {.key_id = "k", .alg = {}, .created = kNow});
  EXPECT_EQ(EnvelopeCode(eds, rsa.PublicOnly()), SigCode::kAlgNotAllowed);
  // A weak RSA key is refused even with a correct signature.
  SigResult<Key> weak = Key::FromPem(testing::ReadFileOrDie(std::string(SEXP_SOURCE_DIR) +
                                                            "/tests/sig/vectors/cavage12/keys/private.pem"));
  ASSERT_TRUE(weak.ok());
  std::string ws = *Sign(inner.roots()[0], *weak, {.key_id = "k", .alg = {}, .created = kNow});
  EXPECT_EQ(EnvelopeCode(ws, weak->PublicOnly()), SigCode::kAlgNotAllowed);
}

TEST(HostileEnvelope, SharedStructureAndDeepInner) {
  // (list d d) doubled 40 times is 2^40 nodes as a tree; as text it cannot
  // be built, so the hostile shape here is deep nesting and a wide list, both
  // canonicalised iteratively and signed once.
  Key key = *Key::Generate(KeyType::kEd25519);
  std::string deep = std::string(1000, '(') + "x" + std::string(1000, ')');
  Document d = Read1(deep);
  SigResult<std::string> s = Sign(d.roots()[0], key, {.key_id = "k", .alg = {}, .created = kNow});
  ASSERT_TRUE(s.ok());
  ReadOptions ro;
  ro.max_depth = 2000;
  Result<Document> back = Read(*s, ro);
  ASSERT_TRUE(back.ok());
  VerifyOptions o;
  o.now = kNow;
  EXPECT_TRUE(Verify(back->roots()[0], [&](std::string_view) -> SigResult<Key> { return key.PublicOnly(); }, o).ok());
  // 10,000 co-signatures: refused by count before any verification.
  std::string many = "(signed :sigs (";
  std::string one = "(sig :alg \"ed25519\" :created 1 :key-id \"k\" :sig \"" + Base64Encode(std::string(64, 'x')) + "\")";
  for (int i = 0; i < 10000; ++i) many += one;
  many += ") (x))";
  int lookups = 0;
  Document md = Read1(many);
  SigResult<std::vector<Verified>> v = Verify(md.roots()[0], [&](std::string_view) -> SigResult<Key> {
    ++lookups;
    return key;
  });
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, SigCode::kMalformed);
  EXPECT_EQ(lookups, 0);
}

// --- HTTP ---------------------------------------------------------------

HttpMessage Inbox(std::string body) {
  return HttpMessage::Request("POST", "https://b.example/inbox",
                              {{"Host", "b.example"}, {"Date", HttpDate(kNow)},
                               {"Content-Type", "application/activity+json"}},
                              std::move(body));
}

SigResult<HttpVerified> Check(const HttpMessage& m, const Key& pub, HttpVerifyOptions o = {}) {
  o.now = kNow;
  return VerifyMessage(m, [&](std::string_view id) -> SigResult<Key> {
    if (id != "https://a.example/u/alice#main-key") return Fail(SigCode::kUnknownKey, "who?");
    return pub;
  }, o);
}

HttpMessage Signed(Scheme scheme, const Key& key, std::string body = "{\"type\":\"Create\"}") {
  HttpMessage m = Inbox(std::move(body));
  HttpSignOptions o;
  o.scheme = scheme;
  o.key_id = "https://a.example/u/alice#main-key";
  o.created = kNow;
  SigResult<HeaderList> added = SignMessage(m, key, o);
  EXPECT_TRUE(added.ok()) << added.error().ToString();
  for (auto& h : *added) m.headers.push_back(h);
  return m;
}

TEST(HostileHttp, TamperingEachPartFails) {
  Key key = *Key::Generate(KeyType::kRsa);
  Key pub = key.PublicOnly();
  for (Scheme scheme : {Scheme::kRfc9421, Scheme::kCavage}) {
    SCOPED_TRACE(std::string(SchemeName(scheme)));
    HttpMessage m = Signed(scheme, key);
    ASSERT_TRUE(Check(m, pub).ok()) << Check(m, pub).error().ToString();
    HttpMessage body = m;
    body.body = "{\"type\":\"Delete\"}";
    EXPECT_EQ(Check(body, pub).error().code, SigCode::kDigestMismatch);
    HttpMessage target = m;
    target.target_uri = "https://b.example/other";
    EXPECT_EQ(Check(target, pub).error().code, SigCode::kBadSignature);
    HttpMessage method = m;
    method.method = "PUT";
    EXPECT_EQ(Check(method, pub).error().code, SigCode::kBadSignature);
    HttpMessage no_date = m;
    no_date.headers.erase(no_date.headers.begin() + 1);  // Date
    SigResult<HttpVerified> r = Check(no_date, pub);
    EXPECT_EQ(r.error().code, SigCode::kMissingComponent);  // Date is covered by both
    // Another actor's key id: unknown to the resolver, or its key fails.
    Key other = *Key::Generate(KeyType::kRsa);
    EXPECT_EQ(Check(m, other.PublicOnly()).error().code, SigCode::kBadSignature);
    // Too old, too new.
    HttpVerifyOptions o;
    o.now = kNow + 13 * 3600;
    EXPECT_EQ(VerifyMessage(m, [&](std::string_view) -> SigResult<Key> { return pub; }, o).error().code,
              SigCode::kExpired);
    o.now = kNow - 2 * 3600;
    EXPECT_EQ(VerifyMessage(m, [&](std::string_view) -> SigResult<Key> { return pub; }, o).error().code,
              SigCode::kNotYetValid);
  }
}

TEST(HostileHttp, UnsignedAndHalfSigned) {
  Key key = *Key::Generate(KeyType::kEd25519);
  EXPECT_EQ(Check(Inbox("{}"), key.PublicOnly()).error().code, SigCode::kMissingComponent);
  HttpMessage m = Signed(Scheme::kRfc9421, key);
  HttpMessage no_sig = m;
  no_sig.headers.pop_back();  // Signature
  EXPECT_EQ(Check(no_sig, key.PublicOnly()).error().code, SigCode::kMissingComponent);
  // Duplicate labels: the dictionary would keep the last; a verifier refuses.
  HttpMessage dup = m;
  dup.headers.push_back(dup.headers[dup.headers.size() - 2]);
  EXPECT_EQ(Check(dup, key.PublicOnly()).error().code, SigCode::kMalformed);
  // A covered header missing: sign over X-Extra, then drop it.
  HttpMessage x = Inbox("{}");
  x.headers.emplace_back("X-Extra", "1");
  HttpSignOptions so;
  so.key_id = "https://a.example/u/alice#main-key";
  so.created = kNow;
  so.components = {"@method", "@target-uri", "content-digest", "x-extra"};
  HeaderList added = *SignMessage(x, key, so);
  for (auto& h : added) x.headers.push_back(h);
  ASSERT_TRUE(Check(x, key.PublicOnly()).ok());
  x.headers.erase(x.headers.begin() + 3);
  EXPECT_EQ(Check(x, key.PublicOnly()).error().code, SigCode::kMissingComponent);
  // Not covering the target or the digest is refused by the verifier's rules.
  HttpMessage weak = Inbox("{\"a\":1}");
  so.components = {"date"};
  HeaderList added_weak = *SignMessage(weak, key, so);
  for (auto& h : added_weak) weak.headers.push_back(h);
  EXPECT_EQ(Check(weak, key.PublicOnly()).error().code, SigCode::kMissingComponent);
}

TEST(HostileHttp, HugeAndManySignatures) {
  Key key = *Key::Generate(KeyType::kEd25519);
  HttpMessage m = Signed(Scheme::kRfc9421, key);
  // 1 MB header values.
  HttpMessage huge = m;
  huge.headers[huge.headers.size() - 1].second += std::string(1 << 20, 'A');
  EXPECT_EQ(Check(huge, key.PublicOnly()).error().code, SigCode::kMalformed);
  HttpMessage huge_cavage = Inbox("{}");
  huge_cavage.headers.emplace_back("Signature", "keyId=\"" + std::string(1 << 20, 'k') + "\",signature=\"AA==\"");
  EXPECT_EQ(Check(huge_cavage, key.PublicOnly()).error().code, SigCode::kMalformed);
  // 10,000 signatures on one request: refused by count, no key looked up.
  HttpMessage many = Inbox("{}");
  std::string input, sigs;
  for (int i = 0; i < 10000; ++i) {
    std::string label = "s" + std::to_string(i);
    input += (i ? ", " : "") + label + "=(\"@method\");created=1;keyid=\"k\"";
    sigs += (i ? ", " : "") + label + "=:AAAA:";
  }
  many.headers.emplace_back("Signature-Input", input);
  many.headers.emplace_back("Signature", sigs);
  int lookups = 0;
  HttpVerifyOptions o;
  o.max_field_bytes = 1 << 22;  // past the size limit, to reach the count limit
  SigResult<HttpVerified> r = VerifyMessage(many, [&](std::string_view) -> SigResult<Key> {
    ++lookups;
    return key;
  }, o);
  EXPECT_EQ(r.error().code, SigCode::kMalformed);
  EXPECT_EQ(lookups, 0);
}

TEST(HostileHttp, StructuredFieldEdgeCases) {
  for (const char* bad : {"a=(", "a=(\"x\"", "a=\"unterminated", "a=:AAA:", "a=:A A=:", "A=1",
                          "a=1,", "a=1,,b=2", "a=?2", "a=1.", "a=1.2345", "a=1234567890123456",
                          "a=\"\\x\"", "a=\"\x01\"", "a=(1 2)x", "a=1;", "a=1;B=2", "a=\xff"}) {
    EXPECT_FALSE(sf::ParseDictionary(bad).ok()) << bad;
  }
  SigResult<sf::Dictionary> d = sf::ParseDictionary(
      "a=1, b=?0, c=\"s\\\"q\", d=tok/en:x, e=:AQID:, f=(1 2);p, g;q=1.5, h=-0.25");
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(*sf::SerializeDictionary(*d),
            "a=1, b=?0, c=\"s\\\"q\", d=tok/en:x, e=:AQID:, f=(1 2);p, g;q=1.5, h=-0.25");
  // Deeply repeated parameters and members stop at the limits.
  std::string params = "a=1";
  for (int i = 0; i < 100; ++i) params += ";p" + std::to_string(i);
  EXPECT_EQ(sf::ParseDictionary(params).error().code, SigCode::kMalformed);
  std::string inner = "a=(";
  for (int i = 0; i < 300; ++i) inner += "1 ";
  inner += ")";
  EXPECT_EQ(sf::ParseDictionary(inner).error().code, SigCode::kMalformed);
}

TEST(HostileHttp, RawMessages) {
  for (const char* bad : {"", "GARBAGE", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nshort",
                          "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", "GET / HTTP/1.1\r\n\r\n"}) {
    EXPECT_FALSE(ParseHttp1(bad).ok()) << bad;
  }
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 1000; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  many += "\r\n";
  EXPECT_EQ(ParseHttp1(many).error().code, SigCode::kMalformed);
  SigResult<HttpMessage> ok = ParseHttp1("POST /a?b=c HTTP/1.1\nHost: Example.com\nContent-Length: 2\n\nhi");
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok->target_uri, "https://Example.com/a?b=c");
  EXPECT_EQ(ok->body, "hi");
  SigResult<HttpMessage> again = ParseHttp1(WriteHttp1(*ok));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->headers, ok->headers);
}

TEST(PeerSchemes, RemembersWhatWorked) {
  PeerSchemes peers;
  EXPECT_EQ(peers.For("mastodon.example"), Scheme::kRfc9421);
  peers.Record("mastodon.example", Scheme::kCavage);
  EXPECT_EQ(peers.For("mastodon.example"), Scheme::kCavage);
  EXPECT_EQ(peers.For("other.example"), Scheme::kRfc9421);
  EXPECT_EQ(PeerSchemes::Other(Scheme::kCavage), Scheme::kRfc9421);
  PeerSchemes small(Scheme::kCavage, 2);
  small.Record("a", Scheme::kRfc9421);
  small.Record("b", Scheme::kRfc9421);
  small.Record("c", Scheme::kRfc9421);  // over capacity: forgets, then keeps c
  EXPECT_EQ(small.size(), 1u);
  EXPECT_EQ(small.For("a"), Scheme::kCavage);
}

}  // namespace
}  // namespace sexp::sig
