// sexp/core/address.h — content addresses: SHA3-256 of canonical bytes, as
// "sha3-<hex>" and as CIDv1 (spec/addresses.md).
//
//   sexp::Result<sexp::Digest> d = sexp::HashNode(doc->roots()[0]);
//   d->hex_address();  // "sha3-8a0f…" (64 lowercase hex digits)
//   d->cid();          // "bafkrmi…"   (multibase base32, raw codec, sha3-256)
//
// HashNode streams the canonical writer straight into the digest; the
// canonical text is never built whole.
#ifndef SEXP_CORE_ADDRESS_H_
#define SEXP_CORE_ADDRESS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "sexp/core/ast.h"
#include "sexp/core/error.h"
#include "sexp/core/writer.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace sexp {

struct Digest {
  std::array<uint8_t, 32> bytes{};

  std::string hex() const;          // 64 lowercase hex digits
  std::string hex_address() const;  // "sha3-" + hex()
  std::string cid() const;          // CIDv1 text, base32 lowercase
  bool operator==(const Digest& o) const { return bytes == o.bytes; }
};

// SHA3-256 of arbitrary bytes (OpenSSL libcrypto).
Digest Sha3_256(std::string_view bytes);

// SHA3-256 of the canonical form of `node`.
Result<Digest> HashNode(const Node& node);

// A ByteSink that hashes what it receives (SHA3-256). Move-only.
class Sha3Sink final : public ByteSink {
 public:
  Sha3Sink();
  ~Sha3Sink() override;
  Sha3Sink(const Sha3Sink&) = delete;
  Sha3Sink& operator=(const Sha3Sink&) = delete;
  bool Write(std::string_view chunk) override;  // always takes it
  Digest Finish();  // the sink is spent afterwards

 private:
  ::evp_md_ctx_st* ctx_;
};

// Parses "sha3-<64 hex>" or a CIDv1 of this form back into a digest.
Result<Digest> ParseAddress(std::string_view text);

// RFC 4648 base32, lowercase alphabet, no padding (the multibase 'b' body).
std::string Base32Lower(std::string_view bytes);

}  // namespace sexp

#endif  // SEXP_CORE_ADDRESS_H_
