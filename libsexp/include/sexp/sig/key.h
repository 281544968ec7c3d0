// sexp/sig/key.h — signing keys through OpenSSL's libcrypto: Ed25519 (the
// default), RSA (PKCS#1 v1.5 SHA-256, what Mastodon's actor keys are; and
// RSA-PSS SHA-512 for RFC 9421), ECDSA P-256, and HMAC-SHA256 shared
// secrets. Generate (from the OS CSPRNG), load and save PEM (PKCS#8 private,
// SPKI public), and Ed25519 public keys as Multikey (FEP-521a: "z6Mk…").
//
//   using namespace sexp::sig;
//   SigResult<Key> key = Key::Generate(KeyType::kEd25519);
//   SigResult<std::string> sig = key->Sign(Alg::kEd25519, "bytes");
//   SigError ok = key->PublicOnly().Verify(Alg::kEd25519, "bytes", *sig);
//   key->Multikey();   // "z6Mk…"
//   key->PublicPem();  // "-----BEGIN PUBLIC KEY-----…"
//
// A Key is an immutable value: copies share one OpenSSL key object, and
// a Key may sign and verify from several threads at once. Signatures are
// raw bytes: Ed25519 64, ECDSA r||s 64 (RFC 9421's form; DER is converted),
// RSA the modulus size, HMAC 32. No function here writes key material to
// an error message.
#ifndef SEXP_SIG_KEY_H_
#define SEXP_SIG_KEY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sexp/sig/error.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace sexp::sig {

// Signature algorithms by their RFC 9421 registry names.
enum class Alg : uint8_t {
  kEd25519,          // "ed25519"
  kRsaV15Sha256,     // "rsa-v1_5-sha256" (cavage: "rsa-sha256")
  kRsaPssSha512,     // "rsa-pss-sha512" (MGF1 SHA-512, 64-byte salt)
  kEcdsaP256Sha256,  // "ecdsa-p256-sha256"
  kHmacSha256,       // "hmac-sha256" — a shared secret, never a public key
};
inline constexpr int kAlgCount = 5;

std::string_view AlgName(Alg alg);
// The algorithm named `name` (the names above); nullopt for anything else,
// `none` included.
std::optional<Alg> ParseAlg(std::string_view name);

// A set of algorithms (a verifier's allowed list).
class AlgSet {
 public:
  constexpr AlgSet() = default;
  // Every public-key algorithm; HMAC only when asked for by name.
  static constexpr AlgSet PublicKey() {
    return AlgSet(0b01111);
  }
  static constexpr AlgSet All() { return AlgSet(0b11111); }
  constexpr AlgSet With(Alg a) const { return AlgSet(bits_ | Bit(a)); }
  constexpr AlgSet Without(Alg a) const { return AlgSet(bits_ & ~Bit(a)); }
  constexpr bool Has(Alg a) const { return (bits_ & Bit(a)) != 0; }

 private:
  constexpr explicit AlgSet(uint8_t bits) : bits_(bits) {}
  static constexpr uint8_t Bit(Alg a) { return uint8_t(1u << static_cast<int>(a)); }
  uint8_t bits_ = 0;
};

enum class KeyType : uint8_t { kEd25519, kRsa, kP256, kHmacSecret };
std::string_view KeyTypeName(KeyType type);  // "ed25519" "rsa" "p256" "hmac"

// Smallest RSA modulus Generate makes and verifiers accept by default.
inline constexpr int kMinRsaBits = 2048;

class Key {
 public:
  // A new key pair (or a 32-byte secret for kHmacSecret). RSA keys have
  // `rsa_bits` bits, 2048 to 8192.
  static SigResult<Key> Generate(KeyType type, int rsa_bits = 2048);
  // A private key (PKCS#8, or the traditional "RSA/EC PRIVATE KEY") or a
  // public key (SPKI "PUBLIC KEY", or "RSA PUBLIC KEY") in PEM. Encrypted
  // private keys are refused (never a passphrase prompt).
  static SigResult<Key> FromPem(std::string_view pem);
  // An HMAC-SHA256 shared secret (16 bytes at least).
  static SigResult<Key> FromSecret(std::string_view secret);
  // An Ed25519 public key from its Multikey text ("z6Mk…") or its 32 raw bytes.
  static SigResult<Key> FromMultikey(std::string_view multikey);
  static SigResult<Key> FromEd25519Public(std::string_view raw32);

  KeyType type() const { return type_; }
  bool has_private() const { return private_; }  // a secret counts as private
  int bits() const;                              // modulus / curve / secret bits
  // The algorithm this key signs with by default: ed25519, rsa-v1_5-sha256,
  // ecdsa-p256-sha256, hmac-sha256.
  Alg default_alg() const;
  // Whether `alg` is an algorithm of this key's type (RSA: both RSA algs).
  bool Fits(Alg alg) const;

  // The same key without its private half (a secret stays a secret).
  Key PublicOnly() const;
  SigResult<std::string> PrivatePem() const;  // PKCS#8, unencrypted
  SigResult<std::string> PublicPem() const;   // SPKI
  SigResult<std::string> Multikey() const;    // Ed25519 only
  SigResult<std::string> Ed25519PublicBytes() const;  // the 32 raw bytes

  // Signs `data` with `alg` (which must fit the key; needs the private half).
  SigResult<std::string> Sign(Alg alg, std::string_view data) const;
  // kOk, or why not: kAlgNotAllowed (alg does not fit the key),
  // kBadSignature (wrong length, or does not verify).
  SigError Verify(Alg alg, std::string_view data, std::string_view signature) const;

  Key() = default;  // an empty key: signs and verifies nothing

 private:
  std::shared_ptr<evp_pkey_st> pkey_;  // null for secrets
  std::shared_ptr<const std::string> secret_;
  KeyType type_ = KeyType::kEd25519;
  bool private_ = false;
};

// Multibase base58btc ('z' + Bitcoin alphabet), as Multikey uses.
std::string Base58BtcEncode(std::string_view bytes);
std::optional<std::string> Base58BtcDecode(std::string_view text);  // without the 'z'

// A DER ECDSA P-256 signature (ECDSA-Sig-Value) as r||s; nullopt if not DER.
std::optional<std::string> EcdsaDerToRaw(std::string_view der);

// Standard base64 with padding (RFC 4648 §4), and its strict decoder: only
// the canonical encoding of some bytes is accepted.
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64DecodeStrict(std::string_view text);

}  // namespace sexp::sig

#endif  // SEXP_SIG_KEY_H_
