// SHA3-256 and CID text forms. The cross-checks against independent
// implementations (Python hashlib, npm multiformats) are in tests/oracles.
#include "sexp/core/address.h"

#include <string>

#include "gtest/gtest.h"
#include "sexp/core/reader.h"

namespace sexp {
namespace {

TEST(Address, Sha3KnownAnswers) {
  // FIPS 202 test vectors.
  EXPECT_EQ(Sha3_256("").hex(),
            "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
  EXPECT_EQ(Sha3_256("abc").hex(),
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
}

TEST(Address, DesignExampleCid) {
  auto doc = ReadOne("(p   \"hello\")");
  ASSERT_TRUE(doc.ok());
  auto d = HashNode(doc->roots()[0]);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->cid(), "bafkrmidwcvtmu5jpuqc2yesf263ca6achethqsbam5w7cuqdbucahqxde4");
  EXPECT_EQ(*d, Sha3_256("(p \"hello\")"));
  EXPECT_EQ(d->hex_address().substr(0, 5), "sha3-");
  EXPECT_EQ(d->hex_address().size(), 5u + 64u);
}

TEST(Address, StreamingHashEqualsHashOfWholeText) {
  std::string text = "(feed";
  for (int i = 0; i < 30000; ++i) text += " (post :id " + std::to_string(i) + ")";
  text += ")";
  auto doc = ReadOne(text);
  ASSERT_TRUE(doc.ok());
  auto canon = Canonical(doc->roots()[0]);
  ASSERT_TRUE(canon.ok());
  ASSERT_GT(canon->size(), 200000u);  // spans many writer chunks
  EXPECT_EQ(*HashNode(doc->roots()[0]), Sha3_256(*canon));
}

TEST(Address, EqualCanonicalFormsHashEqual) {
  auto a = ReadOne("(Create :id 1 :actor a)");
  auto b = ReadOne("[Create\n :actor a ; comment\n :id 1]");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*HashNode(a->roots()[0]), *HashNode(b->roots()[0]));
  auto c = ReadOne("(Create :id 2 :actor a)");
  EXPECT_FALSE(*HashNode(a->roots()[0]) == *HashNode(c->roots()[0]));
}

TEST(Address, HashFailsWithoutCanonicalForm) {
  auto doc = ReadOne("(f :a 1 :a 2)");
  ASSERT_TRUE(doc.ok());
  auto d = HashNode(doc->roots()[0]);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kDuplicateKey);
}

TEST(Address, ParseAddressRoundTrips) {
  Digest d = Sha3_256("x");
  auto from_hex = ParseAddress(d.hex_address());
  ASSERT_TRUE(from_hex.ok());
  EXPECT_EQ(*from_hex, d);
  auto from_cid = ParseAddress(d.cid());
  ASSERT_TRUE(from_cid.ok());
  EXPECT_EQ(*from_cid, d);
  EXPECT_FALSE(ParseAddress("sha3-XYZ").ok());
  EXPECT_FALSE(ParseAddress("sha3-" + std::string(63, 'a')).ok());
  EXPECT_FALSE(ParseAddress("bafy").ok());
  EXPECT_FALSE(ParseAddress("Qm123").ok());
  EXPECT_FALSE(ParseAddress("").ok());
}

TEST(Address, Base32Lower) {
  // RFC 4648 §10 vectors, lowercased, padding removed.
  EXPECT_EQ(Base32Lower(""), "");
  EXPECT_EQ(Base32Lower("f"), "my");
  EXPECT_EQ(Base32Lower("fo"), "mzxq");
  EXPECT_EQ(Base32Lower("foo"), "mzxw6");
  EXPECT_EQ(Base32Lower("foob"), "mzxw6yq");
  EXPECT_EQ(Base32Lower("fooba"), "mzxw6ytb");
  EXPECT_EQ(Base32Lower("foobar"), "mzxw6ytboi");
}

}  // namespace
}  // namespace sexp
