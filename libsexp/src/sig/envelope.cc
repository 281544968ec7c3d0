// Signed sx. The envelope and the signed bytes are written by hand from
// canonical pieces (INNER's canonical text, quoted strings, integers): the
// fields' keyword names are already in canonical order (alg < created <
// key-id < sig), so the text is the canonical form without building a tree
// (spec/signatures.md §2; tests/sig/envelope_test.cc reads it back to check).
#include "sexp/sig/envelope.h"

#include <ctime>

#include "sig/strings.h"
#include "core/chars.h"
#include "sexp/core/writer.h"

namespace sexp::sig {

using str::Append;
using str::Cat;
namespace {

constexpr size_t kMaxSignatureBytes = 1024;

int64_t Now(const std::optional<int64_t>& now) {
  return now ? *now : static_cast<int64_t>(std::time(nullptr));
}

bool ValidText(std::string_view s) { return sexp::internal::FindInvalidUtf8(s) == std::string_view::npos; }

// ` :alg "…" :created N :key-id "…"` — the fields both forms share.
void AppendFields(std::string* out, std::string_view alg, int64_t created,
                  std::string_view key_id) {
  out->append(" :alg ");
  AppendQuotedString(alg, out);
  Append(out, " :created ", created, " :key-id ");
  AppendQuotedString(key_id, out);
}

// The signed bytes (spec/signatures.md §2.2) from INNER's canonical text.
std::string BytesToSign(std::string_view alg, int64_t created, std::string_view key_id,
                        std::string_view inner_canonical) {
  std::string bytes = "(sx-signature-v1";
  bytes.reserve(inner_canonical.size() + key_id.size() + 64);
  AppendFields(&bytes, alg, created, key_id);
  bytes += ' ';
  bytes += inner_canonical;
  bytes += ')';
  return bytes;
}

struct Prepared {
  Alg alg;
  int64_t created;
  std::string signature_b64;
};

// Signs INNER's canonical text for `options`.
SigResult<Prepared> SignInner(std::string_view inner_canonical, const Key& key,
                              const SignOptions& options) {
  if (options.key_id.empty() || options.key_id.size() > EnvelopeLimits{}.max_key_id ||
      !ValidText(options.key_id))
    return Fail(SigCode::kMalformed, "a key id is 1 to 2048 bytes of UTF-8");
  Alg alg = options.alg.value_or(key.default_alg());
  int64_t created = Now(options.created);
  if (created < 0) return Fail(SigCode::kMalformed, "created is a Unix time (>= 0)");
  SigResult<std::string> sig =
      key.Sign(alg, BytesToSign(AlgName(alg), created, options.key_id, inner_canonical));
  if (!sig.ok()) return sig.error();
  return Prepared{alg, created, Base64Encode(*sig)};
}

SigResult<std::string> CanonicalOf(const Node& node) {
  Result<std::string> text = Canonical(node);
  if (!text.ok()) return Fail(SigCode::kMalformed, "no canonical form: " + text.error().ToString());
  return std::move(*text);
}

// One `(sig …)` or the flat envelope's fields, read into `entry`.
SigError ReadFields(absl::Span<const Node> items, size_t first, const EnvelopeLimits& limits,
                    bool allow_sigs, SignatureEntry* entry, const Node** sigs,
                    std::vector<const Node*>* ordinary) {
  bool seen[5] = {false, false, false, false, false};
  size_t n = items.size();
  for (size_t i = first; i < n;) {
    const Node& k = items[i];
    if (!k.is_keyword() || i + 1 >= n) {
      ordinary->push_back(&k);
      ++i;
      continue;
    }
    const Node& v = items[i + 1];
    std::string_view name = k.name();
    int slot = name == "alg" ? 0 : name == "created" ? 1 : name == "key-id" ? 2
             : name == "sig" ? 3 : (allow_sigs && name == "sigs") ? 4 : -1;
    if (slot < 0) return Fail(SigCode::kMalformed, Cat("unknown field :", name));
    if (seen[slot]) return Fail(SigCode::kMalformed, Cat("field :", name, " twice"));
    seen[slot] = true;
    switch (slot) {
      case 0:
        if (!v.is_string() || v.str().size() > 64)
          return Fail(SigCode::kMalformed, ":alg is a string");
        entry->alg_name = std::string(v.str());
        entry->alg = ParseAlg(entry->alg_name);
        break;
      case 1:
        if (!v.is_int() || v.as_int() < 0)
          return Fail(SigCode::kMalformed, ":created is a Unix time (an integer >= 0)");
        entry->created = v.as_int();
        break;
      case 2:
        if (!v.is_string() || v.str().empty() || v.str().size() > limits.max_key_id)
          return Fail(SigCode::kMalformed, ":key-id is a string of 1 to 2048 bytes");
        entry->key_id = std::string(v.str());
        break;
      case 3: {
        if (!v.is_string() || v.str().size() > kMaxSignatureBytes * 4 / 3 + 4)
          return Fail(SigCode::kMalformed, ":sig is base64 text of at most 1 KiB");
        std::optional<std::string> raw = Base64DecodeStrict(v.str());
        if (!raw || raw->empty()) return Fail(SigCode::kMalformed, ":sig is not canonical base64");
        if (raw->size() > kMaxSignatureBytes) return Fail(SigCode::kMalformed, ":sig is over 1 KiB");
        entry->signature = std::move(*raw);
        break;
      }
      case 4:
        if (!v.is_list()) return Fail(SigCode::kMalformed, ":sigs is a list of (sig …)");
        *sigs = &v;
        break;
    }
    i += 2;
  }
  if (seen[4]) {
    for (int s = 0; s < 4; ++s)
      if (seen[s]) return Fail(SigCode::kMalformed, ":sigs stands alone, without :alg :created :key-id :sig");
    return {};
  }
  for (int s = 0; s < 4; ++s)
    if (!seen[s]) {
      static constexpr std::string_view kNames[] = {":alg", ":created", ":key-id", ":sig"};
      return Fail(SigCode::kMalformed, Cat("missing ", kNames[s]));
    }
  return {};
}

}  // namespace

SigResult<std::string> SignedBytes(std::string_view alg, int64_t created,
                                   std::string_view key_id, const Node& inner) {
  SigResult<std::string> canon = CanonicalOf(inner);
  if (!canon.ok()) return canon.error();
  return BytesToSign(alg, created, key_id, *canon);
}

SigResult<std::string> Sign(const Node& inner, const Key& key, const SignOptions& options) {
  SigResult<std::string> canon = CanonicalOf(inner);
  if (!canon.ok()) return canon.error();
  SigResult<Prepared> p = SignInner(*canon, key, options);
  if (!p.ok()) return p.error();
  std::string out = "(signed";
  out.reserve(canon->size() + p->signature_b64.size() + options.key_id.size() + 80);
  AppendFields(&out, AlgName(p->alg), p->created, options.key_id);
  out += " :sig ";
  AppendQuotedString(p->signature_b64, &out);
  out += ' ';
  out += *canon;
  out += ')';
  return out;
}

SigResult<std::string> CoSign(const Node& envelope, const Key& key, const SignOptions& options) {
  EnvelopeLimits limits;
  SigResult<Envelope> env = ParseEnvelope(envelope, limits);
  if (!env.ok()) return env.error();
  if (env->signatures.size() >= limits.max_signatures)
    return Fail(SigCode::kMalformed, "too many signatures on one envelope");
  SigResult<Prepared> p = SignInner(env->inner_canonical, key, options);
  if (!p.ok()) return p.error();
  std::string out = "(signed :sigs (";
  auto append_sig = [&](std::string_view alg, int64_t created, std::string_view key_id,
                        std::string_view b64) {
    if (out.back() != '(') out += ' ';
    out += "(sig";
    AppendFields(&out, alg, created, key_id);
    out += " :sig ";
    AppendQuotedString(b64, &out);
    out += ')';
  };
  for (const SignatureEntry& e : env->signatures)
    append_sig(e.alg_name, e.created, e.key_id, Base64Encode(e.signature));
  append_sig(AlgName(p->alg), p->created, options.key_id, p->signature_b64);
  out += ") ";
  out += env->inner_canonical;
  out += ')';
  return out;
}

SigResult<Envelope> ParseEnvelope(const Node& node, const EnvelopeLimits& limits) {
  if (!node.is_list() || node.size() < 2 || !node[0].is_symbol("signed"))
    return Fail(SigCode::kMalformed, "not a (signed …) envelope");
  Envelope env;
  SignatureEntry flat;
  const Node* sigs = nullptr;
  std::vector<const Node*> ordinary;
  SigError e = ReadFields(node.items(), 1, limits, /*allow_sigs=*/true, &flat, &sigs, &ordinary);
  if (!e.ok()) return e;
  if (ordinary.size() != 1)
    return Fail(SigCode::kMalformed, ordinary.empty() ? "the envelope has no signed expression"
                                                      : "the envelope holds more than one expression");
  env.inner = ordinary[0];
  if (sigs == nullptr) {
    env.signatures.push_back(std::move(flat));
  } else {
    if (sigs->size() == 0) return Fail(SigCode::kMalformed, ":sigs is empty");
    if (sigs->size() > limits.max_signatures)
      return Fail(SigCode::kMalformed, Cat("more than ", limits.max_signatures,
                                                    " signatures on one envelope"));
    for (const Node& s : sigs->items()) {
      if (!s.is_list() || s.size() < 1 || !s[0].is_symbol("sig"))
        return Fail(SigCode::kMalformed, ":sigs holds (sig :alg … :created … :key-id … :sig …) forms");
      SignatureEntry entry;
      const Node* nested = nullptr;
      std::vector<const Node*> extra;
      SigError fe = ReadFields(s.items(), 1, limits, /*allow_sigs=*/false, &entry, &nested, &extra);
      if (!fe.ok()) return fe;
      if (!extra.empty()) return Fail(SigCode::kMalformed, "a (sig …) form has only fields");
      env.signatures.push_back(std::move(entry));
    }
  }
  SigResult<std::string> canon = CanonicalOf(*env.inner);
  if (!canon.ok()) return canon.error();
  env.inner_canonical = std::move(*canon);
  return env;
}

SigError VerifyEntry(const Envelope& envelope, const SignatureEntry& entry, const Key& key,
                     const VerifyOptions& options) {
  if (!entry.alg)
    return Fail(SigCode::kAlgNotAllowed, Cat("unknown algorithm \"", entry.alg_name, "\""));
  Alg alg = *entry.alg;
  if (!options.allowed.Has(alg))
    return Fail(SigCode::kAlgNotAllowed, Cat(AlgName(alg), " is not allowed here"));
  if (!key.Fits(alg))
    return Fail(SigCode::kAlgNotAllowed,
                Cat("the key of ", entry.key_id, " is ", KeyTypeName(key.type()),
                             "; the signature says ", AlgName(alg)));
  if (key.type() == KeyType::kRsa && key.bits() < options.min_rsa_bits)
    return Fail(SigCode::kAlgNotAllowed,
                Cat("an RSA key of ", key.bits(), " bits (", options.min_rsa_bits,
                             " at least)"));
  int64_t now = Now(options.now);
  if (entry.created > now + options.max_skew)
    return Fail(SigCode::kNotYetValid,
                Cat("created ", entry.created, " is ", entry.created - now,
                             " s in the future"));
  if (options.max_age > 0 && entry.created < now - options.max_age - options.max_skew)
    return Fail(SigCode::kExpired, Cat("created ", entry.created, " is ",
                                                now - entry.created, " s old"));
  return key.Verify(alg, BytesToSign(entry.alg_name, entry.created, entry.key_id,
                                     envelope.inner_canonical),
                    entry.signature);
}

namespace {

SigResult<Verified> CheckOne(const Envelope& env, const SignatureEntry& entry,
                             const KeyResolver& keys, const VerifyOptions& options) {
  if (!entry.alg || !options.allowed.Has(*entry.alg))
    return VerifyEntry(env, entry, Key(), options);  // the algorithm error, before any lookup
  SigResult<Key> key = keys(entry.key_id);
  if (!key.ok()) return key.error();
  SigError e = VerifyEntry(env, entry, *key, options);
  if (!e.ok()) return e;
  return Verified{entry.key_id, *entry.alg, entry.created};
}

}  // namespace

SigResult<std::vector<Verified>> Verify(const Node& envelope, const KeyResolver& keys,
                                        const VerifyOptions& options) {
  SigResult<Envelope> env = ParseEnvelope(envelope, options.limits);
  if (!env.ok()) return env.error();
  std::vector<Verified> out;
  for (const SignatureEntry& entry : env->signatures) {
    SigResult<Verified> v = CheckOne(*env, entry, keys, options);
    if (!v.ok()) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

std::vector<SigResult<Verified>> VerifyEach(const Envelope& envelope, const KeyResolver& keys,
                                            const VerifyOptions& options) {
  std::vector<SigResult<Verified>> out;
  for (const SignatureEntry& entry : envelope.signatures)
    out.push_back(CheckOne(envelope, entry, keys, options));
  return out;
}

std::vector<SigResult<Verified>> VerifyEach(const Node& envelope, const KeyResolver& keys,
                                            const VerifyOptions& options) {
  SigResult<Envelope> env = ParseEnvelope(envelope, options.limits);
  if (!env.ok()) return {env.error()};
  return VerifyEach(*env, keys, options);
}

}  // namespace sexp::sig
