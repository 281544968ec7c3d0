// Keys: generation, PEM and Multikey round trips, each algorithm signing and
// verifying, and the refusals (wrong algorithm for the key, public key asked
// to sign, short secrets, weak RSA).
#include <string>

#include "gtest/gtest.h"
#include "sexp/sig/key.h"
#include "test_util.h"

namespace sexp::sig {
namespace {

TEST(Key, EachTypeSignsAndVerifiesWithItsAlgorithms) {
  struct Case {
    KeyType type;
    Alg alg;
    size_t sig_size;
  } cases[] = {
      {KeyType::kEd25519, Alg::kEd25519, 64},
      {KeyType::kRsa, Alg::kRsaV15Sha256, 256},
      {KeyType::kRsa, Alg::kRsaPssSha512, 256},
      {KeyType::kP256, Alg::kEcdsaP256Sha256, 64},
      {KeyType::kHmacSecret, Alg::kHmacSha256, 32},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(AlgName(c.alg)));
    SigResult<Key> key = Key::Generate(c.type);
    ASSERT_TRUE(key.ok()) << key.error().ToString();
    SigResult<std::string> sig = key->Sign(c.alg, "the bytes");
    ASSERT_TRUE(sig.ok()) << sig.error().ToString();
    EXPECT_EQ(sig->size(), c.sig_size);
    Key pub = key->PublicOnly();
    EXPECT_TRUE(pub.Verify(c.alg, "the bytes", *sig).ok());
    EXPECT_EQ(pub.Verify(c.alg, "the bytez", *sig).code, SigCode::kBadSignature);
    std::string flipped = *sig;
    flipped[flipped.size() / 2] ^= 1;
    EXPECT_EQ(pub.Verify(c.alg, "the bytes", flipped).code, SigCode::kBadSignature);
    EXPECT_EQ(pub.Verify(c.alg, "the bytes", sig->substr(1)).code, SigCode::kBadSignature);
    EXPECT_EQ(pub.Verify(c.alg, "the bytes", "").code, SigCode::kBadSignature);
    // Another key of the same type does not verify it.
    SigResult<Key> other = Key::Generate(c.type);
    EXPECT_EQ(other->PublicOnly().Verify(c.alg, "the bytes", *sig).code, SigCode::kBadSignature);
  }
}

TEST(Key, AlgorithmMustFitTheKey) {
  Key ed = *Key::Generate(KeyType::kEd25519);
  Key secret = *Key::Generate(KeyType::kHmacSecret);
  EXPECT_EQ(ed.Sign(Alg::kHmacSha256, "x").error().code, SigCode::kAlgNotAllowed);
  EXPECT_EQ(secret.Sign(Alg::kEd25519, "x").error().code, SigCode::kAlgNotAllowed);
  SigResult<std::string> mac = secret.Sign(Alg::kHmacSha256, "x");
  EXPECT_EQ(ed.Verify(Alg::kHmacSha256, "x", *mac).code, SigCode::kAlgNotAllowed);
  EXPECT_EQ(ed.PublicOnly().Sign(Alg::kEd25519, "x").error().code, SigCode::kUnknownKey);
  EXPECT_FALSE(Key().Verify(Alg::kEd25519, "x", std::string(64, 'a')).ok());
}

TEST(Key, PemRoundTrips) {
  for (KeyType t : {KeyType::kEd25519, KeyType::kRsa, KeyType::kP256}) {
    SCOPED_TRACE(std::string(KeyTypeName(t)));
    Key key = *Key::Generate(t);
    SigResult<std::string> priv = key.PrivatePem();
    SigResult<std::string> pub = key.PublicPem();
    ASSERT_TRUE(priv.ok() && pub.ok());
    EXPECT_NE(priv->find("-----BEGIN PRIVATE KEY-----"), std::string::npos);  // PKCS#8
    EXPECT_NE(pub->find("-----BEGIN PUBLIC KEY-----"), std::string::npos);    // SPKI
    SigResult<Key> again = Key::FromPem(*priv);
    SigResult<Key> pub_again = Key::FromPem(*pub);
    ASSERT_TRUE(again.ok() && pub_again.ok());
    EXPECT_TRUE(again->has_private());
    EXPECT_FALSE(pub_again->has_private());
    EXPECT_EQ(again->type(), t);
    EXPECT_EQ(*pub_again->PublicPem(), *pub);
    SigResult<std::string> sig = again->Sign(key.default_alg(), "m");
    EXPECT_TRUE(pub_again->Verify(key.default_alg(), "m", *sig).ok());
    EXPECT_FALSE(pub_again->PrivatePem().ok());
  }
  EXPECT_EQ(Key::FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").error().code,
            SigCode::kMalformed);
  EXPECT_EQ(Key::FromPem("").error().code, SigCode::kMalformed);
}

TEST(Key, MultikeyRoundTripsAndRefusesOtherCodecs) {
  Key key = *Key::Generate(KeyType::kEd25519);
  SigResult<std::string> mk = key.Multikey();
  ASSERT_TRUE(mk.ok());
  EXPECT_EQ(mk->substr(0, 4), "z6Mk");
  EXPECT_EQ(mk->size(), 48u);
  SigResult<Key> back = Key::FromMultikey(*mk);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back->Ed25519PublicBytes(), *key.Ed25519PublicBytes());
  // The FEP-521a example key (its documented Multikey and raw bytes agree).
  EXPECT_TRUE(Key::FromMultikey("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2").ok());
  EXPECT_EQ(Key::FromMultikey("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ0").error().code,
            SigCode::kMalformed);  // '0' is not base58
  EXPECT_EQ(Key::FromMultikey("u6MkrJ").error().code, SigCode::kMalformed);  // not 'z'
  // A P-256 public key in Multikey form (0x1200) is not an Ed25519 key.
  std::string p256(35, '\x02');
  p256[0] = '\x80';
  p256[1] = '\x24';
  EXPECT_EQ(Key::FromMultikey("z" + Base58BtcEncode(p256)).error().code, SigCode::kAlgNotAllowed);
  EXPECT_FALSE((*Key::Generate(KeyType::kRsa)).Multikey().ok());
}

TEST(Key, Base58AndBase64) {
  EXPECT_EQ(Base58BtcEncode(""), "");
  EXPECT_EQ(Base58BtcEncode(std::string("\0\0\x01", 3)), "112");
  EXPECT_EQ(Base58BtcEncode("hello world"), "StV1DL6CwTryKyV");  // the Bitcoin reference value
  EXPECT_EQ(*Base58BtcDecode("StV1DL6CwTryKyV"), "hello world");
  EXPECT_EQ(*Base58BtcDecode("112"), std::string("\0\0\x01", 3));
  EXPECT_FALSE(Base58BtcDecode("0OIl").has_value());
  for (int n = 0; n < 70; ++n) {
    std::string bytes;
    for (int i = 0; i < n; ++i) bytes += static_cast<char>((i * 37 + n) % 256 * (i % 5 != 0));
    EXPECT_EQ(*Base58BtcDecode(Base58BtcEncode(bytes)), bytes) << n;
    EXPECT_EQ(*Base64DecodeStrict(Base64Encode(bytes)), bytes) << n;
  }
  EXPECT_FALSE(Base64DecodeStrict("YQ").has_value());    // unpadded
  EXPECT_FALSE(Base64DecodeStrict("YR==").has_value());  // unused bits set
  EXPECT_FALSE(Base64DecodeStrict("Y Q=").has_value());
}

TEST(Key, SecretsAndRsaSizes) {
  EXPECT_EQ(Key::FromSecret("short").error().code, SigCode::kMalformed);
  EXPECT_EQ(Key::Generate(KeyType::kRsa, 1024).error().code, SigCode::kAlgNotAllowed);
  EXPECT_EQ(Key::Generate(KeyType::kRsa).value().bits(), 2048);
  EXPECT_FALSE(Key::Generate(KeyType::kHmacSecret)->PublicPem().ok());
  EXPECT_EQ(ParseAlg("none"), std::nullopt);
  EXPECT_EQ(ParseAlg("ED25519"), std::nullopt);
  for (int i = 0; i < kAlgCount; ++i) EXPECT_EQ(ParseAlg(AlgName(Alg(i))), Alg(i));
  EXPECT_FALSE(AlgSet::PublicKey().Has(Alg::kHmacSha256));
  EXPECT_TRUE(AlgSet::PublicKey().Has(Alg::kRsaPssSha512));
}

}  // namespace
}  // namespace sexp::sig
