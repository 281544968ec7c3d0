// Keys and the five algorithms, on OpenSSL 3's EVP interface. The only
// bytes handled here are conversions OpenSSL does not offer: ECDSA's DER
// signature to RFC 9421's fixed r||s, and Multikey's base58btc.
#include "sexp/sig/key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <array>
#include <cstring>
#include <vector>

#include "core/chars.h"
#include "core/strutil.h"
#include "absl/strings/escaping.h"

namespace sexp::sig {

namespace {

using sexp::internal::AV;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using CtxPtr = std::unique_ptr<EVP_MD_CTX, CtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

constexpr std::array<std::string_view, kAlgCount> kAlgNames = {
    "ed25519", "rsa-v1_5-sha256", "rsa-pss-sha512", "ecdsa-p256-sha256", "hmac-sha256"};

std::shared_ptr<evp_pkey_st> Share(EVP_PKEY* p) {
  return std::shared_ptr<evp_pkey_st>(p, PkeyFree());
}

// The key type of an OpenSSL key, if it is one this area uses.
std::optional<KeyType> TypeOf(EVP_PKEY* p) {
  switch (EVP_PKEY_get_base_id(p)) {
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return KeyType::kRsa;
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(p, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                         sizeof group, &len) != 1)
        return std::nullopt;
      std::string_view g(group, len);
      if (g == "prime256v1" || g == "P-256" || g == "secp256r1") return KeyType::kP256;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

}  // namespace

// DER ECDSA-Sig-Value → r||s, 32 bytes each.
std::optional<std::string> EcdsaDerToRaw(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return std::nullopt;
  std::string out(64, '\0');
  const BIGNUM* r = ECDSA_SIG_get0_r(sig);
  const BIGNUM* s = ECDSA_SIG_get0_s(sig);
  bool ok = BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32) == 32 &&
            BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32) == 32;
  ECDSA_SIG_free(sig);
  if (!ok) return std::nullopt;
  return out;
}

namespace {

std::optional<std::string> RawToDer(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  const auto* b = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(b, 32, nullptr);
  BIGNUM* s = BN_bin2bn(b + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (n <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

// Sets up a DigestSign/DigestVerify context for `alg` on `pkey`.
bool InitContext(EVP_MD_CTX* ctx, Alg alg, EVP_PKEY* pkey, bool sign) {
  const EVP_MD* md = nullptr;
  switch (alg) {
    case Alg::kEd25519:
      md = nullptr;
      break;
    case Alg::kRsaV15Sha256:
    case Alg::kEcdsaP256Sha256:
      md = EVP_sha256();
      break;
    case Alg::kRsaPssSha512:
      md = EVP_sha512();
      break;
    case Alg::kHmacSha256:
      return false;
  }
  EVP_PKEY_CTX* pctx = nullptr;
  int rc = sign ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey)
                : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey);
  if (rc != 1) return false;
  if (alg == Alg::kRsaV15Sha256)
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  if (alg == Alg::kRsaPssSha512)
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 64) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha512()) == 1;
  return true;
}

std::optional<std::string> Hmac(const std::string& secret, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
                sizeof out, &len) == nullptr)
    return std::nullopt;
  return std::string(reinterpret_cast<char*>(out), len);
}

constexpr char kBase58Alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

}  // namespace

std::string_view AlgName(Alg alg) { return kAlgNames[static_cast<size_t>(alg)]; }

std::optional<Alg> ParseAlg(std::string_view name) {
  for (size_t i = 0; i < kAlgNames.size(); ++i)
    if (kAlgNames[i] == name) return static_cast<Alg>(i);
  return std::nullopt;
}

std::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kEd25519: return "ed25519";
    case KeyType::kRsa: return "rsa";
    case KeyType::kP256: return "p256";
    case KeyType::kHmacSecret: return "hmac";
  }
  return "?";
}

SigResult<Key> Key::Generate(KeyType type, int rsa_bits) {
  if (type == KeyType::kHmacSecret) {
    std::string secret(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), 32) != 1)
      return Fail(SigCode::kMalformed, "the OS random source failed");
    return FromSecret(secret);
  }
  EVP_PKEY* p = nullptr;
  if (type == KeyType::kEd25519) {
    p = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else if (type == KeyType::kRsa) {
    // 8192 at most: larger keys make signatures over the envelope's 1 KiB.
    if (rsa_bits < kMinRsaBits || rsa_bits > 8192)
      return Fail(SigCode::kAlgNotAllowed, "RSA keys have 2048 to 8192 bits");
    p = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
  } else {
    p = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  }
  if (p == nullptr) return Fail(SigCode::kMalformed, "key generation failed");
  Key key;
  key.pkey_ = Share(p);
  key.type_ = type;
  key.private_ = true;
  return key;
}

SigResult<Key> Key::FromPem(std::string_view pem) {
  if (pem.size() > (size_t{1} << 20)) return Fail(SigCode::kMalformed, "PEM over 1 MiB");
  bool is_private = pem.find("PRIVATE KEY-----") != std::string_view::npos;
  EVP_PKEY* p = nullptr;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Fail(SigCode::kMalformed, "out of memory");
  if (is_private) {
    // No passphrase callback may prompt on a terminal: an encrypted key fails.
    pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
    p = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  } else {
    // SPKI, or PKCS#1 "RSA PUBLIC KEY": the decoder knows both.
    OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(
        &p, "PEM", nullptr, nullptr, EVP_PKEY_PUBLIC_KEY, nullptr, nullptr);
    if (dctx != nullptr) {
      if (OSSL_DECODER_from_bio(dctx, bio.get()) != 1) p = nullptr;
      OSSL_DECODER_CTX_free(dctx);
    }
  }
  if (p == nullptr) return Fail(SigCode::kMalformed, "not a PEM private or public key");
  std::optional<KeyType> type = TypeOf(p);
  if (!type) {
    EVP_PKEY_free(p);
    return Fail(SigCode::kAlgNotAllowed,
                "a key of a type not used here (Ed25519, RSA, P-256 only)");
  }
  Key key;
  key.pkey_ = Share(p);
  key.type_ = *type;
  key.private_ = is_private;
  return key;
}

SigResult<Key> Key::FromSecret(std::string_view secret) {
  if (secret.size() < 16) return Fail(SigCode::kMalformed, "an HMAC secret has 16 bytes at least");
  Key key;
  key.secret_ = std::make_shared<const std::string>(secret);
  key.type_ = KeyType::kHmacSecret;
  key.private_ = true;
  return key;
}

SigResult<Key> Key::FromEd25519Public(std::string_view raw32) {
  if (raw32.size() != 32) return Fail(SigCode::kMalformed, "an Ed25519 public key has 32 bytes");
  EVP_PKEY* p = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw32.data()), 32);
  if (p == nullptr) return Fail(SigCode::kMalformed, "not an Ed25519 public key");
  Key key;
  key.pkey_ = Share(p);
  key.type_ = KeyType::kEd25519;
  return key;
}

SigResult<Key> Key::FromMultikey(std::string_view multikey) {
  if (multikey.size() > 128 || multikey.empty() || multikey[0] != 'z')
    return Fail(SigCode::kMalformed, "a Multikey is multibase base58btc ('z…')");
  std::optional<std::string> bytes = Base58BtcDecode(multikey.substr(1));
  if (!bytes) return Fail(SigCode::kMalformed, "Multikey: not base58btc");
  if (bytes->size() != 34 || static_cast<uint8_t>((*bytes)[0]) != 0xed ||
      static_cast<uint8_t>((*bytes)[1]) != 0x01)
    return Fail(SigCode::kAlgNotAllowed,
                "Multikey: not an Ed25519 public key (multicodec 0xed01 + 32 bytes)");
  return FromEd25519Public(std::string_view(*bytes).substr(2));
}

int Key::bits() const {
  if (type_ == KeyType::kHmacSecret) return secret_ ? static_cast<int>(secret_->size() * 8) : 0;
  return pkey_ ? EVP_PKEY_get_bits(pkey_.get()) : 0;
}

Alg Key::default_alg() const {
  switch (type_) {
    case KeyType::kEd25519: return Alg::kEd25519;
    case KeyType::kRsa:
      return pkey_ && EVP_PKEY_get_base_id(pkey_.get()) == EVP_PKEY_RSA_PSS
                 ? Alg::kRsaPssSha512
                 : Alg::kRsaV15Sha256;
    case KeyType::kP256: return Alg::kEcdsaP256Sha256;
    case KeyType::kHmacSecret: return Alg::kHmacSha256;
  }
  return Alg::kEd25519;
}

bool Key::Fits(Alg alg) const {
  if (!pkey_ && !secret_) return false;
  switch (alg) {
    case Alg::kEd25519: return type_ == KeyType::kEd25519;
    case Alg::kRsaV15Sha256:
      // A key restricted to PSS by its OID cannot sign PKCS#1 v1.5.
      return type_ == KeyType::kRsa && EVP_PKEY_get_base_id(pkey_.get()) == EVP_PKEY_RSA;
    case Alg::kRsaPssSha512: return type_ == KeyType::kRsa;
    case Alg::kEcdsaP256Sha256: return type_ == KeyType::kP256;
    case Alg::kHmacSha256: return type_ == KeyType::kHmacSecret;
  }
  return false;
}

Key Key::PublicOnly() const {
  Key out = *this;
  if (type_ != KeyType::kHmacSecret) out.private_ = false;
  return out;
}

SigResult<std::string> Key::PrivatePem() const {
  if (type_ == KeyType::kHmacSecret || !private_)
    return Fail(SigCode::kMalformed, "no private key to write");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1)
    return Fail(SigCode::kMalformed, "could not write the private key");
  return BioText(bio.get());
}

SigResult<std::string> Key::PublicPem() const {
  if (type_ == KeyType::kHmacSecret || !pkey_)
    return Fail(SigCode::kMalformed, "an HMAC secret has no public key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1)
    return Fail(SigCode::kMalformed, "could not write the public key");
  return BioText(bio.get());
}

SigResult<std::string> Key::Ed25519PublicBytes() const {
  if (type_ != KeyType::kEd25519 || !pkey_)
    return Fail(SigCode::kAlgNotAllowed, "not an Ed25519 key");
  std::string raw(32, '\0');
  size_t len = 32;
  if (EVP_PKEY_get_raw_public_key(pkey_.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                  &len) != 1 ||
      len != 32)
    return Fail(SigCode::kMalformed, "could not read the Ed25519 public key");
  return raw;
}

SigResult<std::string> Key::Multikey() const {
  SigResult<std::string> raw = Ed25519PublicBytes();
  if (!raw.ok()) return raw.error();
  std::string bytes = "\xed\x01" + *raw;
  return "z" + Base58BtcEncode(bytes);
}

SigResult<std::string> Key::Sign(Alg alg, std::string_view data) const {
  if (!Fits(alg))
    return Fail(SigCode::kAlgNotAllowed, std::string(AlgName(alg)) + " does not fit a " +
                                             std::string(KeyTypeName(type_)) + " key");
  if (!private_) return Fail(SigCode::kUnknownKey, "a public key cannot sign");
  if (alg == Alg::kHmacSha256) {
    std::optional<std::string> mac = Hmac(*secret_, data);
    if (!mac) return Fail(SigCode::kMalformed, "HMAC failed");
    return std::move(*mac);
  }
  CtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || !InitContext(ctx.get(), alg, pkey_.get(), /*sign=*/true))
    return Fail(SigCode::kMalformed, "could not set up signing");
  // The signature's largest size is known from the key: one signing call.
  size_t len = static_cast<size_t>(EVP_PKEY_get_size(pkey_.get()));
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     data.size()) != 1)
    return Fail(SigCode::kMalformed, "signing failed");
  sig.resize(len);
  if (alg == Alg::kEcdsaP256Sha256) {
    std::optional<std::string> raw = EcdsaDerToRaw(sig);
    if (!raw) return Fail(SigCode::kMalformed, "signing failed");
    return std::move(*raw);
  }
  return sig;
}

SigError Key::Verify(Alg alg, std::string_view data, std::string_view signature) const {
  if (!Fits(alg))
    return Fail(SigCode::kAlgNotAllowed, std::string(AlgName(alg)) + " does not fit a " +
                                             std::string(KeyTypeName(type_)) + " key");
  if (alg == Alg::kHmacSha256) {
    std::optional<std::string> mac = Hmac(*secret_, data);
    if (mac && mac->size() == signature.size() &&
        CRYPTO_memcmp(mac->data(), signature.data(), mac->size()) == 0)
      return {};
    return Fail(SigCode::kBadSignature, "the HMAC does not match");
  }
  std::string der;
  if (alg == Alg::kEcdsaP256Sha256) {
    std::optional<std::string> d = RawToDer(signature);
    if (!d) return Fail(SigCode::kBadSignature, "an ECDSA P-256 signature has 64 bytes (r||s)");
    der = std::move(*d);
    signature = der;
  } else if (alg == Alg::kEd25519 && signature.size() != 64) {
    return Fail(SigCode::kBadSignature, "an Ed25519 signature has 64 bytes");
  }
  CtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || !InitContext(ctx.get(), alg, pkey_.get(), /*sign=*/false))
    return Fail(SigCode::kBadSignature, "could not set up verification");
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size());
  if (rc != 1) return Fail(SigCode::kBadSignature, "the signature does not verify");
  return {};
}

std::string Base58BtcEncode(std::string_view bytes) {
  size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  // Base 256 → base 58, most significant digit first (log(256)/log(58) < 1.37).
  std::vector<uint8_t> digits((bytes.size() - zeros) * 137 / 100 + 1, 0);
  size_t used = 0;
  for (size_t i = zeros; i < bytes.size(); ++i) {
    unsigned carry = static_cast<uint8_t>(bytes[i]);
    size_t j = 0;
    for (auto it = digits.rbegin(); (carry != 0 || j < used) && it != digits.rend(); ++it, ++j) {
      carry += 256u * *it;
      *it = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    used = j;
  }
  std::string out(zeros, '1');
  for (size_t i = digits.size() - used; i < digits.size(); ++i) out += kBase58Alphabet[digits[i]];
  return out;
}

std::optional<std::string> Base58BtcDecode(std::string_view text) {
  if (text.size() > 4096) return std::nullopt;
  size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  std::vector<uint8_t> bytes((text.size() - ones) * 733 / 1000 + 1, 0);  // log(58)/log(256)
  size_t used = 0;
  for (size_t i = ones; i < text.size(); ++i) {
    const char* at = std::strchr(kBase58Alphabet, text[i]);
    if (at == nullptr || text[i] == '\0') return std::nullopt;
    unsigned carry = static_cast<unsigned>(at - kBase58Alphabet);
    size_t j = 0;
    for (auto it = bytes.rbegin(); (carry != 0 || j < used) && it != bytes.rend(); ++it, ++j) {
      carry += 58u * *it;
      *it = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    used = j;
  }
  std::string out(ones, '\0');
  for (size_t i = bytes.size() - used; i < bytes.size(); ++i) out += static_cast<char>(bytes[i]);
  return out;
}

std::string Base64Encode(std::string_view bytes) { return absl::Base64Escape(AV(bytes)); }

std::optional<std::string> Base64DecodeStrict(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  long n = sexp::internal::DecodeBase64Strict(text, out.data());
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace sexp::sig
