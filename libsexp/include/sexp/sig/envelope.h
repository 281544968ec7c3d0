// sexp/sig/envelope.h — signed sx: a signature over the canonical bytes of
// an expression, carried next to it (spec/signatures.md).
//
//   (signed :alg "ed25519" :created 1733500000 :key-id "https://…#main-key"
//           :sig "<base64>" INNER)
//
// The signed bytes are the canonical form (spec/canonical.md) of
//
//   (sx-signature-v1 :alg ALG :created CREATED :key-id KEY-ID INNER)
//
// so the signature binds the algorithm, the key id, the time and INNER's
// meaning, not its spelling: any text of the same document verifies (keyword
// order, whitespace, comments, [] or ()), any change of meaning fails.
// Co-signing puts several signatures beside one INNER, each over its own
// signed bytes, so each verifies (or fails) on its own:
//
//   (signed :sigs ((sig :alg … :created … :key-id … :sig …) …) INNER)
//
//   SigResult<std::string> text = Sign(doc->roots()[0], key, {.key_id = "k1"});
//   Result<Document> signed_doc = ReadOne(*text);
//   SigResult<std::vector<Verified>> v =
//       Verify(signed_doc->roots()[0], [&](std::string_view id) { return Lookup(id); });
//
// Functions here are pure over their arguments (no global state) and may run
// on any thread. The Envelope view borrows the Node it was parsed from.
#ifndef SEXP_SIG_ENVELOPE_H_
#define SEXP_SIG_ENVELOPE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sexp/core/ast.h"
#include "sexp/sig/error.h"
#include "sexp/sig/key.h"

namespace sexp::sig {

struct SignOptions {
  std::string key_id;             // required: who signs (a URL, a Multikey, …)
  std::optional<Alg> alg;         // default: the key's default_alg()
  std::optional<int64_t> created;  // Unix seconds; default: now
};

// The canonical bytes a signature covers (see above). Fails only when INNER
// has no canonical form (a repeated keyword) — as `malformed`.
SigResult<std::string> SignedBytes(std::string_view alg, int64_t created,
                                   std::string_view key_id, const Node& inner);

// The canonical text of `(signed … INNER)` with one signature by `key`.
SigResult<std::string> Sign(const Node& inner, const Key& key, const SignOptions& options);

// Adds a signature by `key` to an existing envelope (one or several
// signatures), over the same INNER; the result is the co-signed form.
// The existing signatures are copied, not checked.
SigResult<std::string> CoSign(const Node& envelope, const Key& key, const SignOptions& options);

// One signature of an envelope, as written.
struct SignatureEntry {
  std::string alg_name;      // as written ("none" and unknown names kept)
  std::optional<Alg> alg;    // nullopt when alg_name names no algorithm here
  int64_t created = 0;
  std::string key_id;
  std::string signature;     // decoded bytes
};

struct Envelope {
  std::vector<SignatureEntry> signatures;  // 1..max_signatures
  const Node* inner = nullptr;             // into the parsed node
  std::string inner_canonical;             // INNER's canonical bytes
};

// Limits a parser applies before any cryptography is done.
struct EnvelopeLimits {
  size_t max_signatures = 16;  // co-signatures on one envelope
  size_t max_key_id = 2048;    // bytes of a key id
};

// Reads an envelope: `malformed` for anything that is not exactly the form
// above (a missing or repeated field, an unknown keyword, a second INNER,
// base64 that is not canonical, a signature over 1 KiB).
SigResult<Envelope> ParseEnvelope(const Node& node, const EnvelopeLimits& limits = {});

struct VerifyOptions {
  AlgSet allowed = AlgSet::PublicKey();  // hmac-sha256 must be asked for
  std::optional<int64_t> now;            // Unix seconds; default: the clock
  int64_t max_skew = 300;   // seconds `created` may lie in the future
  int64_t max_age = 0;      // seconds `created` may lie in the past; 0: any
  int min_rsa_bits = kMinRsaBits;
  EnvelopeLimits limits;
};

// Key id → key (public key or shared secret); an error (normally
// `unknown-key`) when there is none. Called once per signature.
using KeyResolver = std::function<SigResult<Key>(std::string_view key_id)>;

struct Verified {
  std::string key_id;
  Alg alg = Alg::kEd25519;
  int64_t created = 0;
};

// Checks one signature of a parsed envelope against `key`, in this order:
// algorithm allowed and known, key fits the algorithm (an HMAC secret never
// stands in for a public key, nor a public key for a secret), key strong
// enough, `created` inside the window, then the signature itself.
SigError VerifyEntry(const Envelope& envelope, const SignatureEntry& entry, const Key& key,
                     const VerifyOptions& options);

// Every signature of the envelope must verify; the first failure is the
// answer. On success, one Verified per signature, in order.
SigResult<std::vector<Verified>> Verify(const Node& envelope, const KeyResolver& keys,
                                        const VerifyOptions& options = {});

// Each signature on its own (co-signing): the result of each, in order. An
// envelope that does not parse gives one error.
std::vector<SigResult<Verified>> VerifyEach(const Node& envelope, const KeyResolver& keys,
                                            const VerifyOptions& options = {});
// The same for an envelope already parsed (its INNER is not written again).
std::vector<SigResult<Verified>> VerifyEach(const Envelope& envelope, const KeyResolver& keys,
                                            const VerifyOptions& options = {});

}  // namespace sexp::sig

#endif  // SEXP_SIG_ENVELOPE_H_
