// Content addresses: SHA3-256 through OpenSSL's EVP interface, and the two
// text forms. The CID is CIDv1 / raw codec / sha3-256 multihash in multibase
// base32 ("b" prefix): every prefix value is below 0x80, so each varint is
// one byte and the binary CID is always 36 bytes.
#include "sexp/core/address.h"

#include <openssl/evp.h>

#include <cstring>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/strutil.h"

namespace sexp {
namespace {

using internal::AV;

constexpr uint8_t kCidPrefix[4] = {0x01, 0x55, 0x16, 0x20};

}  // namespace

std::string Digest::hex() const {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string Digest::hex_address() const { return absl::StrCat("sha3-", hex()); }

std::string Digest::cid() const {
  char bin[36];
  std::memcpy(bin, kCidPrefix, 4);
  std::memcpy(bin + 4, bytes.data(), 32);
  return absl::StrCat("b", Base32Lower(std::string_view(bin, sizeof bin)));
}

std::string Base32Lower(std::string_view in) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  out.reserve((in.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Sha3Sink::Sha3Sink() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha3_256(), nullptr) != 1) {
    std::abort();  // libcrypto without SHA3: a broken installation
  }
}

Sha3Sink::~Sha3Sink() { EVP_MD_CTX_free(ctx_); }

bool Sha3Sink::Write(std::string_view chunk) {
  EVP_DigestUpdate(ctx_, chunk.data(), chunk.size());
  return true;
}

Digest Sha3Sink::Finish() {
  Digest d;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, d.bytes.data(), &len);
  return d;
}

Digest Sha3_256(std::string_view bytes) {
  Sha3Sink sink;
  sink.Write(bytes);
  return sink.Finish();
}

Result<Digest> HashNode(const Node& node) {
  Sha3Sink sink;
  Error e = WriteCanonical(node, sink);
  if (!e.ok()) return e;
  return sink.Finish();
}

Result<Digest> ParseAddress(std::string_view text) {
  auto bad = [&](const char* why) {
    return Error{ErrorCode::kInvalidToken, kNoOffset, 0, 0,
                 absl::StrCat("not a content address (", why, "): '",
                              AV(text.substr(0, 80)), "'")};
  };
  Digest d;
  if (absl::StartsWith(AV(text), "sha3-")) {
    std::string_view hex = text.substr(5);
    if (hex.size() != 64) return bad("expected 64 hex digits after sha3-");
    for (char c : hex) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return bad("expected lowercase hex digits");
      }
    }
    std::string raw = absl::HexStringToBytes(AV(hex));
    std::memcpy(d.bytes.data(), raw.data(), 32);
    return d;
  }
  if (absl::StartsWith(AV(text), "b")) {
    std::string_view body = text.substr(1);
    std::string bin;
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : body) {
      int v;
      if (c >= 'a' && c <= 'z') v = c - 'a';
      else if (c >= '2' && c <= '7') v = c - '2' + 26;
      else return bad("expected base32 lowercase after 'b'");
      buffer = (buffer << 5) | static_cast<uint32_t>(v);
      bits += 5;
      if (bits >= 8) {
        bin.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xFF));
        bits -= 8;
      }
    }
    if (bin.size() != 36 || std::memcmp(bin.data(), kCidPrefix, 4) != 0) {
      return bad("expected a CIDv1 with raw codec and sha3-256 multihash");
    }
    std::memcpy(d.bytes.data(), bin.data() + 4, 32);
    if (d.cid() != text) return bad("non-canonical base32");
    return d;
  }
  return bad("expected 'sha3-' or 'b'");
}

}  // namespace sexp
