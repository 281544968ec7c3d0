// sexp/sig/httpsig.h — HTTP Message Signatures as ActivityPub peers speak
// them: RFC 9421 (Signature-Input / Signature, Content-Digest of RFC 9530)
// and draft-cavage-http-signatures-12 as Mastodon uses it (Signature:
// keyId=…,headers=…; Digest: SHA-256=…). spec/signatures.md §4–§6.
//
//   using namespace sexp::sig;
//   HttpMessage req = HttpMessage::Request("POST", "https://b.example/inbox",
//                                          {{"Date", date}, {"Content-Type", "application/activity+json"}},
//                                          body);
//   SigResult<HeaderList> added = SignMessage(req, key, {.key_id = "https://a.example/u/alice#main-key"});
//   for (auto& [name, value] : *added) req.headers.emplace_back(name, value);
//
//   // An inbox: RFC 9421 when Signature-Input is present, else cavage.
//   SigResult<HttpVerified> who = VerifyMessage(req, resolver);
//   if (!who.ok()) return Respond(who.error().code == SigCode::kUnknownKey ? 401 : 403);
//
// Sans-I/O: messages are values the caller fills in from its HTTP stack.
// Everything here is pure and thread-safe except PeerSchemes, which locks.
#ifndef SEXP_SIG_HTTPSIG_H_
#define SEXP_SIG_HTTPSIG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sexp/sig/envelope.h"
#include "sexp/sig/error.h"
#include "sexp/sig/key.h"

namespace sexp::sig {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// An HTTP request or response, as far as signatures look at it.
struct HttpMessage {
  std::string method;      // requests: "POST"
  std::string target_uri;  // requests: absolute, "https://example.com/foo?a=b"
  int status = 0;          // responses: 200; 0 for a request
  HeaderList headers;      // field lines in order, names as received
  std::string body;

  static HttpMessage Request(std::string method, std::string target_uri, HeaderList headers,
                             std::string body = {});
  static HttpMessage Response(int status, HeaderList headers, std::string body = {});
  bool is_request() const { return status == 0; }

  // The field's value per RFC 9421 §2.1: every line named `name` (any
  // case), each trimmed, joined with ", "; nullopt when there is none.
  std::optional<std::string> Field(std::string_view name) const;
  size_t FieldCount(std::string_view name) const;
};

enum class Scheme : uint8_t { kRfc9421, kCavage };
std::string_view SchemeName(Scheme scheme);  // "rfc9421" "cavage"

// --- body digests ------------------------------------------------------
enum class DigestAlg : uint8_t { kSha256, kSha512 };
// RFC 9530 Content-Digest: "sha-256=:<base64>:".
std::string ContentDigest(std::string_view body, DigestAlg alg = DigestAlg::kSha256);
// Every sha-256 / sha-512 member must match the body, and one at least must
// be there (other algorithms are ignored): kOk, kDigestMismatch, kMalformed.
SigError CheckContentDigest(std::string_view field, std::string_view body);
// The cavage-era Digest (RFC 3230): "SHA-256=<base64>".
std::string LegacyDigest(std::string_view body, DigestAlg alg = DigestAlg::kSha256);
SigError CheckLegacyDigest(std::string_view field, std::string_view body);

// --- signing ----------------------------------------------------------
struct HttpSignOptions {
  Scheme scheme = Scheme::kRfc9421;
  std::string key_id;              // required
  std::optional<Alg> alg;          // default: the key's default_alg()
  // Covered components. RFC 9421: identifiers as in Signature-Input
  // ("@method", "content-digest", "\"@query-param\";name=\"id\""); cavage:
  // header names and "(request-target)", "(created)", "(expires)". Empty:
  //   RFC 9421 request:  @method @target-uri @authority [content-digest] [date]
  //   RFC 9421 response: @status [content-digest] [content-type]
  //   cavage:            (request-target) host date [digest]
  std::vector<std::string> components;
  std::optional<int64_t> created;  // default: now
  std::optional<int64_t> expires;
  std::string nonce;               // RFC 9421 only; empty: none
  std::string tag;                 // RFC 9421 only; empty: none
  std::string label = "sig1";      // RFC 9421 dictionary key
  bool include_alg = false;        // RFC 9421 `alg` parameter (cavage always says)
  // With a body: add Content-Digest (RFC 9421) / Digest (cavage) and cover
  // it, unless the message has one already.
  std::optional<DigestAlg> digest = DigestAlg::kSha256;
};

// The header fields to add to `message`: the digest, Date and Host when
// cavage needs them and they are missing, then Signature-Input + Signature
// (RFC 9421) or Signature (cavage).
SigResult<HeaderList> SignMessage(const HttpMessage& message, const Key& key,
                                  const HttpSignOptions& options);

// --- verifying --------------------------------------------------------
struct HttpVerifyOptions {
  AlgSet allowed = AlgSet::PublicKey();
  std::optional<int64_t> now;  // Unix seconds; default: the clock
  // The accepted window for `created` / Date, as Mastodon's: an hour of clock
  // skew into the future, twelve hours into the past. `expires` binds too.
  int64_t max_skew = 3600;
  int64_t max_age = 12 * 3600;
  int min_rsa_bits = kMinRsaBits;
  // A request's signature must cover its method and target (@method and
  // @target-uri/@request-target/@path, or cavage's (request-target)), a time
  // (created, or a covered Date), and with a body the digest, which must
  // match. Responses: @status, a time, and the digest.
  bool require_target = true;
  bool require_digest = true;
  std::vector<std::string> required;  // more covered components, as above
  std::string label;          // RFC 9421: verify only this label; empty: any
  // RFC 9421: a Signature-Input or Signature with more members than this is
  // refused (`malformed`) before any is checked; cavage has one.
  size_t max_signatures = 8;
  size_t max_field_bytes = 16 * 1024;  // Signature-Input / Signature / cavage Signature
};

struct HttpVerified {
  Scheme scheme = Scheme::kRfc9421;
  std::string label;  // RFC 9421 label; empty for cavage
  std::string key_id;
  Alg alg = Alg::kEd25519;
  std::optional<int64_t> created;
  std::vector<std::string> covered;  // the component identifiers, as signed
};

// Verifies `message` ("double knock": RFC 9421 when Signature-Input is
// present, else cavage from Signature or Authorization: Signature). With
// several RFC 9421 signatures the first that verifies is the answer; if none
// does, the first one's error. `request` is the request a signed response
// answers (for components with `req`).
SigResult<HttpVerified> VerifyMessage(const HttpMessage& message, const KeyResolver& keys,
                                      const HttpVerifyOptions& options = {},
                                      const HttpMessage* request = nullptr);

// The key ids the message's signatures name, in order (for fetching keys
// before VerifyMessage, e.g. asynchronously). `malformed` when the signature
// fields do not parse; `missing-component` when there is no signature.
SigResult<std::vector<std::string>> SignatureKeyIds(const HttpMessage& message,
                                                    const HttpVerifyOptions& options = {});

// --- building blocks (exposed for vectors and tests) --------------------
// The RFC 9421 signature base for `signature_input_member` (an inner list
// with parameters, as in Signature-Input: `("@method" "date");created=1`).
SigResult<std::string> SignatureBase(const HttpMessage& message,
                                     std::string_view signature_input_member,
                                     const HttpMessage* request = nullptr);
// The cavage signing string for `headers` ("(request-target) host date").
SigResult<std::string> CavageSigningString(const HttpMessage& message,
                                           std::string_view headers,
                                           std::optional<int64_t> created = std::nullopt,
                                           std::optional<int64_t> expires = std::nullopt);
// An HTTP date (IMF-fixdate, "Tue, 20 Apr 2021 02:07:55 GMT"), both ways.
std::string HttpDate(int64_t unix_seconds);
std::optional<int64_t> ParseHttpDate(std::string_view text);

// --- the sender's memory ------------------------------------------------
// Which scheme each peer accepted: a sender signs with For(peer), and after
// a 401/403 retries once with Other(); Record() the one that worked.
// Thread-safe; holds at most `capacity` peers (then forgets them all).
class PeerSchemes {
 public:
  explicit PeerSchemes(Scheme first = Scheme::kRfc9421, size_t capacity = 100000);
  ~PeerSchemes();
  Scheme For(std::string_view peer) const;
  static Scheme Other(Scheme s) {
    return s == Scheme::kRfc9421 ? Scheme::kCavage : Scheme::kRfc9421;
  }
  void Record(std::string_view peer, Scheme worked);
  size_t size() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  Scheme first_;
};

}  // namespace sexp::sig

#endif  // SEXP_SIG_HTTPSIG_H_
