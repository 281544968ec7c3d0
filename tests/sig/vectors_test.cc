// The published HTTP-signature vectors (tests/sig/vectors/, transcribed from
// RFC 9421 Appendix B, RFC 9530 and draft-cavage-http-signatures-12 Appendix
// C; sources and known-wrong values in vectors/README.md), run through the
// library: signature bases byte for byte, the deterministic signatures
// (Ed25519, HMAC) reproduced exactly, every published signature verified,
// and the published errors refused for the reason the README gives.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sexp/sig/http1.h"
#include "sexp/sig/httpsig.h"
#include "sexp/sig/key.h"
#include "simdjson.h"
#include "test_util.h"

namespace sexp::sig {
namespace {

std::string Vec(const std::string& rel) {
  return testing::ReadFileOrDie(std::string(SEXP_SOURCE_DIR) + "/tests/sig/vectors/" + rel);
}

Key LoadKey(const std::string& name) {
  if (name == "test-shared-secret") {
    std::string b64 = Vec("rfc9421/keys/test-shared-secret.b64");
    while (!b64.empty() && (b64.back() == '\n' || b64.back() == ' ')) b64.pop_back();
    std::optional<std::string> secret = Base64DecodeStrict(b64);
    EXPECT_TRUE(secret.has_value());
    return *Key::FromSecret(*secret);
  }
  SigResult<Key> k = Key::FromPem(Vec("rfc9421/keys/" + name + ".pem"));
  EXPECT_TRUE(k.ok()) << name << ": " << k.error().ToString();
  return *k;
}

HttpMessage Message(const std::string& rel) {
  SigResult<HttpMessage> m = ParseHttp1(Vec(rel));
  EXPECT_TRUE(m.ok()) << rel << ": " << m.error().ToString();
  return m.ok() ? *m : HttpMessage{};
}

// label=member → member
std::string Member(const std::string& field) { return field.substr(field.find('=') + 1); }

struct B2 {
  std::string dir, message, key;
  bool deterministic;
  bool covers_target;  // whether the default verifier's requirements hold
};

const B2 kB2[] = {
    {"b2_1", "test-request.http", "test-key-rsa-pss", false, false},
    {"b2_2", "test-request.http", "test-key-rsa-pss", false, false},
    {"b2_3", "test-request.http", "test-key-rsa-pss", false, true},
    {"b2_4", "test-response.http", "test-key-ecc-p256", false, true},
    {"b2_5", "test-request.http", "test-shared-secret", true, false},
    {"b2_6", "test-request.http", "test-key-ed25519", true, false},
};

HttpVerifyOptions VectorOptions(bool covers_target) {
  HttpVerifyOptions o;
  o.allowed = AlgSet::All();
  o.now = 1618884473;
  o.require_target = covers_target;
  o.require_digest = covers_target;
  return o;
}

TEST(Rfc9421AppendixB, SignatureBasesByteForByte) {
  for (const B2& v : kB2) {
    SCOPED_TRACE(v.dir);
    HttpMessage m = Message("rfc9421/" + v.message);
    SigResult<std::string> base = SignatureBase(m, Member(Vec("rfc9421/" + v.dir + "/signature-input.txt")));
    ASSERT_TRUE(base.ok()) << base.error().ToString();
    EXPECT_EQ(*base, Vec("rfc9421/" + v.dir + "/base.txt"));
  }
}

TEST(Rfc9421AppendixB, PublishedSignaturesVerify) {
  for (const B2& v : kB2) {
    SCOPED_TRACE(v.dir);
    HttpMessage m = Message("rfc9421/" + v.message);
    m.headers.emplace_back("Signature-Input", Vec("rfc9421/" + v.dir + "/signature-input.txt"));
    m.headers.emplace_back("Signature", Vec("rfc9421/" + v.dir + "/signature.txt"));
    Key key = LoadKey(v.key);
    Key pub = key.type() == KeyType::kHmacSecret ? key : key.PublicOnly();
    SigResult<HttpVerified> r = VerifyMessage(
        m, [&](std::string_view) -> SigResult<Key> { return pub; }, VectorOptions(v.covers_target));
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->scheme, Scheme::kRfc9421);
    // A bit flipped in the signature fails.
    std::string sig = Vec("rfc9421/" + v.dir + "/signature.txt");
    size_t colon = sig.find(':');
    sig[colon + 5] = sig[colon + 5] == 'A' ? 'B' : 'A';
    m.headers.back().second = sig;
    r = VerifyMessage(m, [&](std::string_view) -> SigResult<Key> { return pub; },
                      VectorOptions(v.covers_target));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, SigCode::kBadSignature);
  }
}

TEST(Rfc9421AppendixB, DeterministicSignaturesReproduced) {
  struct Case {
    const char* dir;
    const char* key;
    std::vector<std::string> components;
  } cases[] = {
      {"b2_5", "test-shared-secret", {"date", "@authority", "content-type"}},
      {"b2_6", "test-key-ed25519",
       {"date", "@method", "@path", "@authority", "content-type", "content-length"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.dir);
    HttpMessage m = Message("rfc9421/test-request.http");
    HttpSignOptions o;
    o.key_id = c.key;
    o.created = 1618884473;
    o.components = c.components;
    o.label = std::string("sig-b2") + c.dir[3];
    SigResult<HeaderList> added = SignMessage(m, LoadKey(c.key), o);
    ASSERT_TRUE(added.ok()) << added.error().ToString();
    ASSERT_EQ(added->size(), 2u);  // the message has its Content-Digest already
    EXPECT_EQ((*added)[0].second, Vec(std::string("rfc9421/") + c.dir + "/signature-input.txt"));
    EXPECT_EQ((*added)[1].second, Vec(std::string("rfc9421/") + c.dir + "/signature.txt"));
  }
}

TEST(Rfc9421AppendixB, ProxySignatureB3) {
  HttpMessage m = Message("rfc9421/b3/signed-request.http");
  SigResult<std::string> base = SignatureBase(m, Member(Vec("rfc9421/b3/signature-input.txt")));
  ASSERT_TRUE(base.ok()) << base.error().ToString();
  EXPECT_EQ(*base, Vec("rfc9421/b3/base.txt"));
  Key pub = LoadKey("test-key-ecc-p256").PublicOnly();
  HttpVerifyOptions o = VectorOptions(true);
  o.require_digest = false;  // the proxy's signature covers no digest
  o.label = "ttrp";
  SigResult<HttpVerified> r = VerifyMessage(m, [&](std::string_view) -> SigResult<Key> { return pub; }, o);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->alg, Alg::kEcdsaP256Sha256);
}

TEST(Rfc9421AppendixB, TransformationsB4) {
  Key pub = LoadKey("test-key-ed25519").PublicOnly();
  simdjson::dom::parser parser;
  std::string meta = Vec("rfc9421/b4/meta.json");
  simdjson::dom::element doc = parser.parse(meta);
  int checked = 0;
  for (simdjson::dom::element variant : doc["variants"].get_array()) {
    std::string file(std::string_view(variant["file"].get_string()));
    bool valid = bool(variant["valid"].get_bool());
    SCOPED_TRACE(file);
    HttpMessage m = Message("rfc9421/" + file);
    HttpVerifyOptions o = VectorOptions(false);
    SigResult<HttpVerified> r = VerifyMessage(m, [&](std::string_view) -> SigResult<Key> { return pub; }, o);
    EXPECT_EQ(r.ok(), valid) << (r.ok() ? "verified" : r.error().ToString());
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST(Rfc9530, ContentDigestExamples) {
  simdjson::dom::parser parser;
  std::string text = Vec("rfc9530/examples.json");
  simdjson::dom::element doc = parser.parse(text);
  // README "Known-wrong published values": the printed Brotli bytes, and an
  // over-padded base64 value a strict byte-sequence parser refuses.
  const std::vector<std::string> brotli = {"b4-response-repr", "b5-response-repr", "b6-response-repr"};
  const std::vector<std::string> padded = {"b5-request-repr", "b6-request-repr", "b11-trailer-repr",
                                           "c1-response-repr"};
  int ok = 0, refused = 0;
  for (simdjson::dom::element e : doc.get_array()) {
    std::string id(std::string_view(e["id"].get_string()));
    std::string header(std::string_view(e["header"].get_string()));
    std::string body;
    std::string_view s;
    if (e["body"].get(s) == simdjson::SUCCESS) {
      body = std::string(s);
    } else if (e["body_hex"].get(s) == simdjson::SUCCESS) {
      for (size_t i = 0; i + 1 < s.size(); i += 2) body += static_cast<char>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16));
    } else {
      continue;  // members over different bodies (a syntax example)
    }
    SCOPED_TRACE(id);
    SigError r = CheckContentDigest(header, body);
    if (std::find(brotli.begin(), brotli.end(), id) != brotli.end()) {
      EXPECT_EQ(r.code, SigCode::kDigestMismatch);
      ++refused;
    } else if (std::find(padded.begin(), padded.end(), id) != padded.end()) {
      EXPECT_EQ(r.code, SigCode::kMalformed);
      ++refused;
    } else {
      EXPECT_TRUE(r.ok()) << r.ToString();
      ++ok;
    }
  }
  EXPECT_EQ(ok + refused, 26);  // the two syntax examples over two bodies are skipped
  EXPECT_EQ(refused, 7);
}

TEST(Rfc9530, ContentDigestOfEmptyAndLargeBodies) {
  // sha-256 of "" (FIPS 180-2 / hashlib): e3b0c442…b855
  EXPECT_EQ(ContentDigest(""), "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
  std::string big(1 << 20, 'x');
  EXPECT_TRUE(CheckContentDigest(ContentDigest(big, DigestAlg::kSha512), big).ok());
  EXPECT_EQ(CheckContentDigest(ContentDigest(big), big + "y").code, SigCode::kDigestMismatch);
}

// Cavage's published header values keep their presentation line breaks
// (vectors/README.md): inside the quoted signature they stand for nothing,
// between parameters for nothing either.
// A break and its indentation: nothing, except inside headers="…", where it
// separates two names.
std::string Unfold(const std::string& v) {
  std::string out;
  bool in_headers = false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\n') {
      while (i + 1 < v.size() && v[i + 1] == ' ') ++i;
      if (in_headers) out += ' ';
      continue;
    }
    if (v[i] == '"' && out.size() >= 8 && out.compare(out.size() - 8, 8, "headers=") == 0) in_headers = true;
    else if (v[i] == '"') in_headers = false;
    out += v[i];
  }
  return out;
}

Key CavageKey(bool private_half) {
  SigResult<Key> k = Key::FromPem(Vec(private_half ? "cavage12/keys/private.pem" : "cavage12/keys/public.pem"));
  EXPECT_TRUE(k.ok()) << k.error().ToString();
  return *k;
}

HttpVerifyOptions CavageOptions() {
  HttpVerifyOptions o;
  o.now = 1388957500;       // Date: Sun, 05 Jan 2014 21:31:40 GMT, plus 200 s
  o.min_rsa_bits = 1024;    // the draft's test key is RSA 1024 (README)
  o.require_target = false; // C.1 signs only date
  o.require_digest = false;  // none of them covers the Digest
  return o;
}

TEST(CavageAppendixC, SigningStringsAndSignatures) {
  struct Case {
    const char* dir;
    const char* headers;
    const char* field;
    const char* file;
  } cases[] = {
      {"c1", "date", "Signature", "signature-header.txt"},
      {"c1", "date", "Authorization", "authorization-header.txt"},
      {"c2", "(request-target) host date", "Authorization", "signature-header.txt"},
  };
  Key pub = CavageKey(false);
  EXPECT_EQ(pub.bits(), 1024);
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.dir) + " " + c.field);
    HttpMessage m = Message("cavage12/request.http");
    SigResult<std::string> text = CavageSigningString(m, c.headers);
    ASSERT_TRUE(text.ok()) << text.error().ToString();
    EXPECT_EQ(*text, Vec(std::string("cavage12/") + c.dir + "/signing-string.txt"));
    m.headers.emplace_back(c.field, Unfold(Vec(std::string("cavage12/") + c.dir + "/" + c.file)));
    SigResult<HttpVerified> r =
        VerifyMessage(m, [&](std::string_view id) -> SigResult<Key> {
          if (id != "Test") return Fail(SigCode::kUnknownKey, "no such key");
          return pub;
        }, CavageOptions());
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->scheme, Scheme::kCavage);
    EXPECT_EQ(r->key_id, "Test");
    // With the default 2048-bit floor the same key is refused.
    HttpVerifyOptions strict = CavageOptions();
    strict.min_rsa_bits = kMinRsaBits;
    r = VerifyMessage(m, [&](std::string_view) -> SigResult<Key> { return pub; }, strict);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, SigCode::kAlgNotAllowed);
  }
}

TEST(CavageAppendixC, ReSigningReproducesThePublishedSignature) {
  // RSA PKCS#1 v1.5 is deterministic: C.2 again, with the private key.
  HttpMessage m = Message("cavage12/request.http");
  HttpSignOptions o;
  o.scheme = Scheme::kCavage;
  o.key_id = "Test";
  o.components = {"(request-target)", "host", "date"};
  SigResult<HeaderList> added = SignMessage(m, CavageKey(true), o);
  ASSERT_TRUE(added.ok()) << added.error().ToString();
  ASSERT_EQ(added->size(), 1u);
  std::string published = Unfold(Vec("cavage12/c2/signature-header.txt"));
  EXPECT_EQ(published.rfind("Signature keyId=", 0), 0u);
  size_t at = published.find("signature=\"");
  ASSERT_NE(at, std::string::npos);
  std::string sig = published.substr(at, published.find('"', at + 11) + 1 - at);
  EXPECT_NE((*added)[0].second.find(sig), std::string::npos) << (*added)[0].second;
}

TEST(CavageAppendixC, C3IsKnownWrong) {
  // README: C.3's headers list (created) and (expires), but its signature is
  // over a string without them. A -12 verifier builds the 8-line string, so
  // the published signature must fail there — as bad-signature, not a crash.
  HttpMessage m = Message("cavage12/request.http");
  m.headers.emplace_back("Signature", Unfold(Vec("cavage12/c3/signature-header.txt")));
  HttpVerifyOptions o = CavageOptions();
  o.now = 1402170697;  // inside created..expires
  o.max_age = int64_t{1} << 40;
  SigResult<HttpVerified> r = VerifyMessage(m, [&](std::string_view) -> SigResult<Key> { return CavageKey(false); }, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, SigCode::kBadSignature);
  // Over the published 6-line string the same signature does verify.
  std::string header = Unfold(Vec("cavage12/c3/signature-header.txt"));
  size_t at = header.find("signature=\"") + 11;
  std::optional<std::string> sig = Base64DecodeStrict(header.substr(at, header.find('"', at) - at));
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(CavageKey(false).Verify(Alg::kRsaV15Sha256, Vec("cavage12/c3/signing-string.txt"), *sig).ok());
}

}  // namespace
}  // namespace sexp::sig
