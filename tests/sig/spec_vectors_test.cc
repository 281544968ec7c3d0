// spec/vectors/signatures.jsonl (spec/signatures.md §10): the envelope
// vectors, computed by spec/tools/make_signature_vectors.py with
// python3-cryptography from the RFC 8032 test keys, run through the library
// so the code and the spec cannot drift.
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sexp/core/reader.h"
#include "sexp/sig/envelope.h"
#include "simdjson.h"
#include "test_util.h"

namespace sexp::sig {
namespace {

std::string Get(simdjson::dom::element e, const char* field) {
  std::string_view s;
  return e[field].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

// PKCS#8 for an Ed25519 seed (RFC 8410 §7): a fixed 16-byte prefix.
Key PrivateFromSeed(const std::string& seed_hex) {
  std::string der("\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20", 16);
  for (size_t i = 0; i + 1 < seed_hex.size(); i += 2)
    der += static_cast<char>(std::stoi(seed_hex.substr(i, 2), nullptr, 16));
  SigResult<Key> k = Key::FromPem("-----BEGIN PRIVATE KEY-----\n" + Base64Encode(der) +
                                  "\n-----END PRIVATE KEY-----\n");
  EXPECT_TRUE(k.ok());
  return *k;
}

TEST(SpecVectors, Signatures) {
  std::string text = testing::ReadFileOrDie(std::string(SEXP_SOURCE_DIR) + "/spec/vectors/signatures.jsonl");
  simdjson::dom::parser parser;
  struct Named {
    std::string key_id;
    Key priv;
  };
  std::map<std::string, Named> keys;
  int signing = 0, verifying = 0;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    simdjson::dom::element e = parser.parse(line);
    std::string name = Get(e, "name");
    SCOPED_TRACE(name);
    if (!Get(e, "seed_hex").empty()) {
      Named n{Get(e, "key_id"), PrivateFromSeed(Get(e, "seed_hex"))};
      EXPECT_EQ(*n.priv.Multikey(), Get(e, "public_key_multikey"));
      EXPECT_EQ(*n.priv.PublicPem(), Get(e, "public_key_pem"));
      keys[Get(e, "key")] = n;
      continue;
    }
    if (!Get(e, "inner").empty()) {
      ++signing;
      Result<Document> inner = ReadOne(Get(e, "inner"));
      ASSERT_TRUE(inner.ok());
      simdjson::dom::array sigs;
      if (e["sigs"].get(sigs) == simdjson::SUCCESS) {  // co-signed: each signature's bytes
        int count = 0;
        for (simdjson::dom::element sg : sigs) {
          SigResult<std::string> b = SignedBytes(Get(sg, "alg"), int64_t(sg["created"].get_int64()),
                                                 Get(sg, "key_id"), inner->roots()[0]);
          ASSERT_TRUE(b.ok());
          EXPECT_EQ(*b, Get(sg, "signed_bytes"));
          ++count;
        }
        EXPECT_EQ(count, 2);
        continue;
      }
      int64_t created = int64_t(e["created"].get_int64());
      SigResult<std::string> bytes = SignedBytes(Get(e, "alg"), created, Get(e, "key_id"), inner->roots()[0]);
      ASSERT_TRUE(bytes.ok());
      EXPECT_EQ(*bytes, Get(e, "signed_bytes"));
      std::string envelope = Get(e, "envelope");
      std::string key_name = Get(e, "key");
      if (envelope.rfind("(signed :alg", 0) == 0 && keys.count(key_name)) {
        SigResult<std::string> ours = Sign(inner->roots()[0], keys[key_name].priv,
                                           {Get(e, "key_id"), std::nullopt, created});
        ASSERT_TRUE(ours.ok());
        EXPECT_EQ(*ours, envelope);  // Ed25519 is deterministic: byte for byte
      }
      continue;
    }
    ++verifying;
    std::map<std::string, Key, std::less<>> by_id;
    std::istringstream names(Get(e, "key"));
    std::string n;
    while (names >> n) by_id[keys.at(n).key_id] = keys.at(n).priv.PublicOnly();
    KeyResolver resolver = [&](std::string_view id) -> SigResult<Key> {
      auto it = by_id.find(id);
      if (it == by_id.end()) return Fail(SigCode::kUnknownKey, "none");
      return it->second;
    };
    VerifyOptions o;
    int64_t now;
    if (e["now"].get(now) == simdjson::SUCCESS) o.now = now;
    int64_t max_age;
    if (e["max_age"].get(max_age) == simdjson::SUCCESS) o.max_age = max_age;
    ReadOptions ro;
    ro.max_depth = 64;
    Result<Document> doc = ReadOne(Get(e, "text"), ro);
    std::string expect = Get(e, "expect");
    if (!doc.ok()) {
      EXPECT_EQ(expect, "malformed") << "the text does not read: " << doc.error().ToString();
      continue;
    }
    SigResult<std::vector<Verified>> v = Verify(doc->roots()[0], resolver, o);
    EXPECT_EQ(v.ok() ? "valid" : std::string(SigCodeName(v.error().code)), expect)
        << (v.ok() ? "" : v.error().message);
    simdjson::dom::array each;
    if (e["expect_each"].get(each) == simdjson::SUCCESS) {
      std::vector<SigResult<Verified>> r = VerifyEach(doc->roots()[0], resolver, o);
      size_t i = 0;
      for (simdjson::dom::element x : each) {
        ASSERT_LT(i, r.size());
        EXPECT_EQ(r[i].ok() ? "valid" : std::string(SigCodeName(r[i].error().code)),
                  std::string(std::string_view(x.get_string())));
        ++i;
      }
      EXPECT_EQ(i, r.size());
    }
  }
  EXPECT_EQ(signing, 7);
  EXPECT_EQ(verifying, 75);
}

}  // namespace
}  // namespace sexp::sig
