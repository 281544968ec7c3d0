// HTTP Message Signatures: RFC 9421 and draft-cavage-http-signatures-12.
//
// Both schemes reduce to "build a string from the message, check the
// signature over it". What makes a verifier safe is everything around that
// check, done before any cryptography and in this order: size and count
// limits on the signature fields; the structured-field parse; the
// verifier's own requirements (method and target, a time, the digest);
// the time window; the algorithm (allowed, known, fitting the key — an HMAC
// secret never answers for a public key); the signature base, which fails on
// any covered component the message lacks; the body digest; then the
// signature. spec/signatures.md §4–§6 states the same rules.
#include "sexp/sig/httpsig.h"

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "sig/strings.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/chars.h"
#include "core/strutil.h"
#include "sexp/sig/structured_fields.h"

namespace sexp::sig {

using str::Append;
using str::Cat;
namespace {

using sexp::internal::AV;

int64_t Now(const std::optional<int64_t>& now) {
  return now ? *now : static_cast<int64_t>(std::time(nullptr));
}

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(AV(s)); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(AV(a), AV(b));
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Hash(std::string_view body, DigestAlg alg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(body.data(), body.size(), out, &len,
             alg == DigestAlg::kSha256 ? EVP_sha256() : EVP_sha512(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

// The parts of an absolute URI that derived components use.
struct Uri {
  std::string scheme;     // lowercase
  std::string authority;  // lowercase host[:port], default port dropped
  std::string path;       // "/" when empty
  bool has_query = false;
  std::string query;      // without '?'
};

std::optional<Uri> ParseUri(std::string_view text) {
  Uri u;
  size_t colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  u.scheme = Lower(text.substr(0, colon));
  std::string_view rest = text.substr(colon + 3);
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  u.authority = Lower(authority);
  std::string_view default_port = u.scheme == "https" ? ":443" : u.scheme == "http" ? ":80" : "";
  if (!default_port.empty() && absl::EndsWith(u.authority, AV(default_port)))
    u.authority.resize(u.authority.size() - default_port.size());
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  size_t q = rest.find('?');
  std::string_view path = rest.substr(0, q);
  u.path = path.empty() ? std::string("/") : std::string(path);
  if (q != std::string_view::npos) {
    u.has_query = true;
    std::string_view query = rest.substr(q + 1);
    u.query.assign(query.data(), query.size());
  }
  return u;
}

using internal::HexDigitValue;

// application/x-www-form-urlencoded parsing of one name or value.
std::string FormDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               HexDigitValue(s[i + 1]) >= 0 && HexDigitValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexDigitValue(s[i + 1]) * 16 + HexDigitValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// RFC 9421 §2.2.8: re-encoded with the application/x-www-form-urlencoded
// percent-encode set, spaces as %20.
std::string FormEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(b) || c == '*' || c == '-' || c == '.' || c == '_') {
      out += c;
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Structured types of the fields this library knows (for the `sf` and `key`
// parameters); others are tried as a dictionary, then a list, then an item.
enum class FieldType { kDictionary, kList, kItem, kUnknown };
FieldType TypeOfField(std::string_view name) {
  static constexpr std::string_view kDicts[] = {
      "signature-input", "signature", "content-digest", "repr-digest", "want-content-digest",
      "want-repr-digest", "accept-signature", "priority", "example-dict", "cache-status"};
  for (std::string_view d : kDicts)
    if (name == d) return FieldType::kDictionary;
  return FieldType::kUnknown;
}

SigResult<std::string> StrictSerialize(std::string_view name, std::string_view value) {
  FieldType t = TypeOfField(name);
  if (t == FieldType::kDictionary || t == FieldType::kUnknown) {
    SigResult<sf::Dictionary> d = sf::ParseDictionary(value);
    if (d.ok()) return sf::SerializeDictionary(*d);
    if (t == FieldType::kDictionary) return d.error();
  }
  SigResult<sf::List> l = sf::ParseList(value);
  if (l.ok()) return sf::SerializeList(*l);
  SigResult<sf::Item> i = sf::ParseItem(value);
  if (i.ok()) return sf::SerializeItem(*i);
  return i.error();
}

SigError Missing(std::string what) { return Fail(SigCode::kMissingComponent, std::move(what)); }
SigError Malformed(std::string what) { return Fail(SigCode::kMalformed, std::move(what)); }

// The value of one covered component (RFC 9421 §2.1, §2.2).
SigResult<std::string> ComponentValue(const HttpMessage& msg, const sf::Item& id,
                                      const HttpMessage* request) {
  if (id.bare.type != sf::BareItem::Type::kString)
    return Malformed("a component identifier is a string");
  const std::string& name = id.bare.text;
  if (name.empty() || Lower(name) != name)
    return Malformed(Cat("component \"", name, "\" is not lowercase"));
  bool req = sf::FindParam(id.params, "req") != nullptr;
  const HttpMessage* source = &msg;
  if (req) {
    if (msg.is_request() || request == nullptr)
      return Missing(Cat("\"", name, "\";req needs the request a response answers"));
    source = request;
  }
  for (const auto& [k, v] : id.params) {
    if (k != "req" && k != "sf" && k != "key" && k != "bs" && k != "name")
      return Malformed(Cat("unsupported component parameter ;", k));
  }
  if (name[0] == '@') {
    if (name == "@status") {
      if (source->is_request()) return Malformed("@status is a response component");
      return Cat(source->status);
    }
    if (!source->is_request()) return Malformed(Cat(name, " is a request component"));
    if (name == "@method") return source->method;
    std::optional<Uri> uri = ParseUri(source->target_uri);
    if (!uri) return Malformed("the request's target URI is not absolute");
    if (name == "@target-uri") return source->target_uri;
    if (name == "@authority") return uri->authority;
    if (name == "@scheme") return uri->scheme;
    if (name == "@path") return uri->path;
    if (name == "@request-target")
      return uri->has_query ? Cat(uri->path, "?", uri->query) : uri->path;
    if (name == "@query") return Cat("?", uri->query);
    if (name == "@query-param") {
      const sf::BareItem* want = sf::FindParam(id.params, "name");
      if (want == nullptr || want->type != sf::BareItem::Type::kString)
        return Malformed("@query-param needs ;name=\"…\"");
      std::optional<std::string> found;
      if (uri->has_query) {
        for (absl::string_view pair_a : absl::StrSplit(AV(uri->query), '&')) {
          std::string_view pair(pair_a.data(), pair_a.size());
          if (pair.empty()) continue;
          size_t eq = pair.find('=');
          std::string key = FormEncode(FormDecode(pair.substr(0, eq)));
          if (key != want->text) continue;
          if (found) return Malformed(Cat("query parameter ", key, " occurs twice"));
          found = FormEncode(FormDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1)));
        }
      }
      if (!found) return Missing(Cat("no query parameter ", want->text));
      return *found;
    }
    return Malformed(Cat("unknown derived component ", name));
  }
  // A header field.
  if (source->FieldCount(name) == 0) return Missing(Cat("no ", name, " field"));
  bool sf_param = sf::FindParam(id.params, "sf") != nullptr;
  const sf::BareItem* key = sf::FindParam(id.params, "key");
  bool bs = sf::FindParam(id.params, "bs") != nullptr;
  if (bs && (sf_param || key)) return Malformed(";bs does not combine with ;sf or ;key");
  if (bs) {
    std::string out;
    for (const auto& [n, v] : source->headers) {
      if (!EqualsIgnoreCase(n, name)) continue;
      if (!out.empty()) out += ", ";
      Append(&out, ":", Base64Encode(TrimOws(v)), ":");
    }
    return out;
  }
  std::string value = *source->Field(name);
  if (HasLineBreak(value)) return Malformed(Cat("field ", name, " holds a line break"));
  if (key != nullptr) {
    if (key->type != sf::BareItem::Type::kString) return Malformed(";key is a string");
    SigResult<sf::Dictionary> d = sf::ParseDictionary(value);
    if (!d.ok()) return Malformed(Cat(name, " is not a dictionary: ", d.error().message));
    const sf::Member* member = nullptr;
    for (const auto& [k, m] : *d)
      if (k == key->text) member = &m;
    if (member == nullptr) return Missing(Cat(name, " has no member ", key->text));
    if (member->is_inner_list) return sf::SerializeInnerList(member->inner);
    return sf::SerializeItem(member->item);
  }
  if (sf_param) return StrictSerialize(name, value);
  return value;
}

SigResult<std::string> BaseOf(const HttpMessage& msg, const sf::InnerList& covered,
                              const HttpMessage* request) {
  std::string base;
  std::vector<std::string> seen;
  for (const sf::Item& id : covered.items) {
    SigResult<std::string> ident = sf::SerializeItem(id);
    if (!ident.ok()) return ident.error();
    if (std::find(seen.begin(), seen.end(), *ident) != seen.end())
      return Malformed(Cat("component ", *ident, " covered twice"));
    if (id.bare.type == sf::BareItem::Type::kString && id.bare.text == "@signature-params")
      return Malformed("@signature-params cannot be covered");
    SigResult<std::string> value = ComponentValue(msg, id, request);
    if (!value.ok()) return value.error();
    Append(&base, *ident, ": ", *value, "\n");
    seen.push_back(std::move(*ident));
  }
  SigResult<std::string> params = sf::SerializeInnerList(covered);
  if (!params.ok()) return params.error();
  Append(&base, "\"@signature-params\": ", *params);
  return base;
}

// The algorithms to try for a key when the message names none (RFC 9421
// §3.2: from the key material; cavage hs2019 likewise).
std::vector<Alg> AlgsForKey(const Key& key, const AlgSet& allowed) {
  std::vector<Alg> out;
  Alg first = key.default_alg();
  if (allowed.Has(first)) out.push_back(first);
  if (key.type() == KeyType::kRsa) {
    Alg other = first == Alg::kRsaV15Sha256 ? Alg::kRsaPssSha512 : Alg::kRsaV15Sha256;
    if (allowed.Has(other) && key.Fits(other)) out.push_back(other);
  }
  return out;
}

SigError CheckKeyStrength(const Key& key, const HttpVerifyOptions& o) {
  if (key.type() == KeyType::kRsa && key.bits() < o.min_rsa_bits)
    return Fail(SigCode::kAlgNotAllowed,
                Cat("an RSA key of ", key.bits(), " bits (", o.min_rsa_bits, " at least)"));
  return {};
}

// The key of `key_id` and the algorithms to try with it: the one the
// message names (which must fit the key), or those the key implies (§4.2).
struct KeyAndAlgs {
  Key key;
  std::vector<Alg> algs;
};

SigResult<KeyAndAlgs> ResolveKey(const KeyResolver& keys, const std::string& key_id,
                                 std::optional<Alg> named, std::string_view alg_text,
                                 const HttpVerifyOptions& o) {
  SigResult<Key> key = keys(key_id);
  if (!key.ok()) return key.error();
  KeyAndAlgs out{*key, {}};
  if (named) {
    if (!key->Fits(*named))
      return Fail(SigCode::kAlgNotAllowed, Cat("the key of ", key_id, " is ",
                                                KeyTypeName(key->type()), "; the message says ", alg_text));
    out.algs.push_back(*named);
  } else {
    out.algs = AlgsForKey(*key, o.allowed);
    if (out.algs.empty())
      return Fail(SigCode::kAlgNotAllowed,
                  Cat("no allowed algorithm for a ", KeyTypeName(key->type()), " key"));
  }
  SigError e = CheckKeyStrength(*key, o);
  if (!e.ok()) return e;
  return out;
}

SigError CheckWindow(std::optional<int64_t> created, std::optional<int64_t> expires,
                     std::string_view what, const HttpVerifyOptions& o) {
  int64_t now = Now(o.now);
  if (created) {
    if (*created > now + o.max_skew)
      return Fail(SigCode::kNotYetValid,
                  Cat(what, " ", *created, " is ", *created - now, " s in the future"));
    if (*created < now - o.max_age)
      return Fail(SigCode::kExpired, Cat(what, " ", *created, " is ", now - *created,
                                                  " s old (", o.max_age, " at most)"));
  }
  if (expires && *expires < now)
    return Fail(SigCode::kExpired, Cat("expired ", now - *expires, " s ago"));
  return {};
}

bool Covers(const std::vector<std::string>& covered, std::string_view name) {
  return std::find(covered.begin(), covered.end(), name) != covered.end();
}

// The verifier's own requirements on what a signature covers.
SigError CheckRequired(const HttpMessage& msg, const std::vector<std::string>& covered,
                       Scheme scheme, bool has_time, const HttpVerifyOptions& o) {
  if (o.require_target) {
    if (msg.is_request()) {
      bool ok = scheme == Scheme::kCavage
                    ? Covers(covered, "(request-target)")
                    : Covers(covered, "@method") &&
                          (Covers(covered, "@target-uri") || Covers(covered, "@request-target") ||
                           Covers(covered, "@path"));
      if (!ok)
        return Missing(scheme == Scheme::kCavage
                           ? "the signature does not cover (request-target)"
                           : "the signature does not cover @method and the target");
    } else if (scheme == Scheme::kRfc9421 && !Covers(covered, "@status")) {
      return Missing("the signature does not cover @status");
    }
    if (!has_time) return Missing("the signature covers no time (created, or Date)");
  }
  if (o.require_digest && !msg.body.empty()) {
    std::string_view digest = scheme == Scheme::kCavage ? "digest" : "content-digest";
    if (!Covers(covered, digest))
      return Missing(Cat("the body's ", digest, " is not covered"));
  }
  for (const std::string& r : o.required)
    if (!Covers(covered, r)) return Missing(Cat("the signature does not cover ", r));
  return {};
}

// --- RFC 9421 ---------------------------------------------------------

struct Rfc9421Signature {
  std::string label;
  sf::InnerList covered;
  std::string signature;
  std::optional<int64_t> created, expires;
  std::string keyid;
  std::string alg;  // empty: from the key
};

SigResult<std::vector<Rfc9421Signature>> ParseRfc9421(const HttpMessage& msg,
                                                       const HttpVerifyOptions& o) {
  std::optional<std::string> input = msg.Field("signature-input");
  std::optional<std::string> sigs = msg.Field("signature");
  if (!input) return Missing("no Signature-Input");
  if (!sigs) return Missing("Signature-Input without Signature");
  if (input->size() > o.max_field_bytes || sigs->size() > o.max_field_bytes)
    return Malformed(Cat("a signature field over ", o.max_field_bytes, " bytes"));
  sf::Limits limits;
  limits.max_members = o.max_signatures;
  SigResult<sf::Dictionary> in = sf::ParseDictionary(*input, limits);
  if (!in.ok()) return Malformed("Signature-Input: " + in.error().message);
  SigResult<sf::Dictionary> sv = sf::ParseDictionary(*sigs, limits);
  if (!sv.ok()) return Malformed("Signature: " + sv.error().message);
  if (sf::HasDuplicateKeys(*in) || sf::HasDuplicateKeys(*sv))
    return Malformed("a signature label appears twice");
  std::vector<Rfc9421Signature> out;
  for (const auto& [label, member] : *in) {
    if (!o.label.empty() && label != o.label) continue;
    if (!member.is_inner_list) return Malformed(Cat("Signature-Input ", label, " is not an inner list"));
    Rfc9421Signature s;
    s.label = label;
    s.covered = member.inner;
    const sf::Member* sig = nullptr;
    for (const auto& [k, m] : *sv)
      if (k == label) sig = &m;
    if (sig == nullptr) return Malformed(Cat("no Signature for label ", label));
    if (sig->is_inner_list || sig->item.bare.type != sf::BareItem::Type::kBytes)
      return Malformed(Cat("Signature ", label, " is not a byte sequence"));
    s.signature = sig->item.bare.text;
    for (const auto& param : s.covered.params) {
      const std::string& k = param.first;
      const sf::BareItem& v = param.second;
      auto want = [&](sf::BareItem::Type t) {
        return v.type == t ? SigError{}
                           : Malformed(Cat("signature parameter ", k, " has the wrong type"));
      };
      SigError e;
      if (k == "created") {
        e = want(sf::BareItem::Type::kInteger);
        s.created = v.integer;
      } else if (k == "expires") {
        e = want(sf::BareItem::Type::kInteger);
        s.expires = v.integer;
      } else if (k == "keyid") {
        e = want(sf::BareItem::Type::kString);
        s.keyid = v.text;
      } else if (k == "alg") {
        e = want(sf::BareItem::Type::kString);
        s.alg = v.text;
      } else if (k == "nonce" || k == "tag") {
        e = want(sf::BareItem::Type::kString);
      }
      if (!e.ok()) return e;
    }
    out.push_back(std::move(s));
  }
  if (out.empty()) return Missing(o.label.empty() ? "no signatures" : "no signature with that label");
  return out;
}

std::vector<std::string> CoveredNames(const sf::InnerList& covered) {
  std::vector<std::string> out;
  for (const sf::Item& i : covered.items) out.push_back(i.bare.text);
  return out;
}

SigResult<HttpVerified> VerifyOneRfc9421(const HttpMessage& msg, const Rfc9421Signature& s,
                                         const KeyResolver& keys, const HttpVerifyOptions& o,
                                         const HttpMessage* request) {
  std::vector<std::string> covered = CoveredNames(s.covered);
  SigError e = CheckRequired(msg, covered, Scheme::kRfc9421, s.created.has_value(), o);
  if (!e.ok()) return e;
  e = CheckWindow(s.created, s.expires, "created", o);
  if (!e.ok()) return e;
  if (s.keyid.empty()) return Missing("the signature names no keyid");
  std::optional<Alg> named;
  if (!s.alg.empty()) {
    named = ParseAlg(s.alg);
    if (!named) return Fail(SigCode::kAlgNotAllowed, Cat("unknown algorithm \"", s.alg, "\""));
    if (!o.allowed.Has(*named))
      return Fail(SigCode::kAlgNotAllowed, Cat(s.alg, " is not allowed here"));
  }
  SigResult<KeyAndAlgs> key = ResolveKey(keys, s.keyid, named, s.alg, o);
  if (!key.ok()) return key.error();
  const std::vector<Alg>& algs = key->algs;
  SigResult<std::string> base = BaseOf(msg, s.covered, request);
  if (!base.ok()) return base.error();
  if (Covers(covered, "content-digest")) {
    const HttpMessage& m = msg;
    e = CheckContentDigest(*m.Field("content-digest"), m.body);
    if (!e.ok()) return e;
  }
  SigError last;
  for (Alg alg : algs) {
    last = key->key.Verify(alg, *base, s.signature);
    if (last.ok()) return HttpVerified{Scheme::kRfc9421, s.label, s.keyid, alg, s.created, covered};
  }
  return last;
}

// --- cavage ------------------------------------------------------------

struct CavageSignature {
  std::string key_id, algorithm, headers = "date", signature_b64;
  std::optional<int64_t> created, expires;
};

SigResult<CavageSignature> ParseCavage(std::string_view text, const HttpVerifyOptions& o) {
  if (text.size() > o.max_field_bytes)
    return Malformed(Cat("Signature over ", o.max_field_bytes, " bytes"));
  CavageSignature s;
  bool seen[6] = {};
  size_t i = 0;
  auto fail = [](std::string what) { return Malformed("cavage Signature: " + what); };
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) return fail("a parameter without '='");
    std::string name(TrimOws(text.substr(i, eq - i)));
    i = eq + 1;
    std::string value;
    if (i < text.size() && text[i] == '"') {
      size_t close = text.find('"', i + 1);
      if (close == std::string_view::npos) return fail("an unterminated quoted value");
      value = std::string(text.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      size_t comma = text.find(',', i);
      value = std::string(TrimOws(text.substr(i, comma == std::string_view::npos ? text.npos : comma - i)));
      i = comma == std::string_view::npos ? text.size() : comma;
    }
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i < text.size()) {
      if (text[i] != ',') return fail("parameters are separated by ','");
      ++i;
    }
    static constexpr std::string_view kNames[] = {"keyId", "algorithm", "headers",
                                                  "signature", "created", "expires"};
    int slot = -1;
    for (int k = 0; k < 6; ++k)
      if (name == kNames[k]) slot = k;
    if (slot < 0) continue;  // unknown parameters are ignored (draft §2.1)
    if (seen[slot]) return fail(Cat("parameter ", name, " twice"));
    seen[slot] = true;
    auto number = [&](std::optional<int64_t>* out) {
      int64_t v = 0;
      if (value.empty() || value.size() > 15 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
      for (char c : value) v = v * 10 + (c - '0');
      *out = v;
      return true;
    };
    switch (slot) {
      case 0: s.key_id = value; break;
      case 1: s.algorithm = Lower(value); break;
      case 2: s.headers = Lower(value); break;
      case 3: s.signature_b64 = value; break;
      case 4: if (!number(&s.created)) return fail("created is a Unix time"); break;
      case 5: if (!number(&s.expires)) return fail("expires is a Unix time"); break;
    }
  }
  if (!seen[0] || s.key_id.empty()) return fail("no keyId");
  if (!seen[3]) return fail("no signature");
  return s;
}

std::optional<std::string> CavageField(const HttpMessage& msg) {
  if (std::optional<std::string> s = msg.Field("signature")) return s;
  if (std::optional<std::string> a = msg.Field("authorization")) {
    std::string_view v = *a;
    if (v.size() > 10 && EqualsIgnoreCase(v.substr(0, 10), "signature ")) return std::string(v.substr(10));
  }
  return std::nullopt;
}

SigResult<std::vector<std::string>> SplitHeaders(std::string_view headers) {
  std::vector<std::string> out;
  for (absl::string_view h_a : absl::StrSplit(AV(headers), ' ', absl::SkipEmpty())) {
    std::string_view h(h_a.data(), h_a.size());
    if (out.size() >= 64) return Malformed("more than 64 covered headers");
    if (std::find(out.begin(), out.end(), h) != out.end())
      return Malformed(Cat("header ", h, " covered twice"));
    out.emplace_back(h);
  }
  if (out.empty()) return Malformed("headers=\"\" covers nothing");
  return out;
}

SigResult<HttpVerified> VerifyCavage(const HttpMessage& msg, std::string_view field,
                                     const KeyResolver& keys, const HttpVerifyOptions& o) {
  SigResult<CavageSignature> s = ParseCavage(field, o);
  if (!s.ok()) return s.error();
  SigResult<std::vector<std::string>> covered = SplitHeaders(s->headers);
  if (!covered.ok()) return covered.error();
  bool has_time = Covers(*covered, "date") || Covers(*covered, "(created)");
  SigError e = CheckRequired(msg, *covered, Scheme::kCavage, has_time, o);
  if (!e.ok()) return e;
  std::optional<int64_t> created = s->created;
  if (Covers(*covered, "(created)") && !created) return Missing("(created) is covered but not given");
  if (Covers(*covered, "(expires)") && !s->expires) return Missing("(expires) is covered but not given");
  e = CheckWindow(created, s->expires, "created", o);
  if (!e.ok()) return e;
  if (Covers(*covered, "date")) {
    std::optional<std::string> date = msg.Field("date");
    if (!date) return Missing("no date field");
    std::optional<int64_t> when = ParseHttpDate(*date);
    if (!when) return Malformed("Date is not an HTTP date");
    e = CheckWindow(when, std::nullopt, "Date", o);
    if (!e.ok()) return e;
    if (!created) created = when;
  }
  // Malformed input is refused before any key is looked up.
  std::optional<std::string> sig = Base64DecodeStrict(s->signature_b64);
  if (!sig || sig->empty() || sig->size() > 1024)
    return Malformed("the signature is not canonical base64 of at most 1 KiB");
  std::optional<Alg> named;
  const std::string& a = s->algorithm;
  if (!a.empty() && a != "hs2019") {
    if (a == "rsa-sha256") named = Alg::kRsaV15Sha256;
    else if (a == "ecdsa-sha256") named = Alg::kEcdsaP256Sha256;
    else named = ParseAlg(a);
    if (!named) return Fail(SigCode::kAlgNotAllowed, Cat("unknown algorithm \"", a, "\""));
    if (!o.allowed.Has(*named)) return Fail(SigCode::kAlgNotAllowed, Cat(a, " is not allowed here"));
  }
  SigResult<KeyAndAlgs> key = ResolveKey(keys, s->key_id, named, a, o);
  if (!key.ok()) return key.error();
  const std::vector<Alg>& algs = key->algs;
  SigResult<std::string> text = CavageSigningString(msg, s->headers, s->created, s->expires);
  if (!text.ok()) return text.error();
  if (Covers(*covered, "digest")) {
    e = CheckLegacyDigest(*msg.Field("digest"), msg.body);
    if (!e.ok()) return e;
  }
  SigError last;
  for (Alg alg : algs) {
    std::string_view bytes = *sig;
    std::optional<std::string> raw;
    if (alg == Alg::kEcdsaP256Sha256 && bytes.size() != 64) {
      // Cavage-era ECDSA signatures are DER; Verify takes r||s.
      raw = EcdsaDerToRaw(bytes);
      if (raw) bytes = *raw;
    }
    last = key->key.Verify(alg, *text, bytes);
    if (last.ok()) return HttpVerified{Scheme::kCavage, "", s->key_id, alg, created, *covered};
  }
  return last;
}

}  // namespace

// --- HttpMessage --------------------------------------------------------

HttpMessage HttpMessage::Request(std::string method, std::string target_uri, HeaderList headers,
                                 std::string body) {
  HttpMessage m;
  m.method = std::move(method);
  m.target_uri = std::move(target_uri);
  m.headers = std::move(headers);
  m.body = std::move(body);
  return m;
}

HttpMessage HttpMessage::Response(int status, HeaderList headers, std::string body) {
  HttpMessage m;
  m.status = status;
  m.headers = std::move(headers);
  m.body = std::move(body);
  return m;
}

std::optional<std::string> HttpMessage::Field(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& [n, v] : headers) {
    if (!EqualsIgnoreCase(n, name)) continue;
    if (out) {
      out->append(", ");
      out->append(TrimOws(v));
    } else {
      out = std::string(TrimOws(v));
    }
  }
  return out;
}

size_t HttpMessage::FieldCount(std::string_view name) const {
  size_t n = 0;
  for (const auto& h : headers) n += EqualsIgnoreCase(h.first, name);
  return n;
}

std::string_view SchemeName(Scheme scheme) {
  return scheme == Scheme::kRfc9421 ? "rfc9421" : "cavage";
}

// --- digests ------------------------------------------------------------

std::string ContentDigest(std::string_view body, DigestAlg alg) {
  return Cat(alg == DigestAlg::kSha256 ? "sha-256" : "sha-512", "=:",
                      Base64Encode(Hash(body, alg)), ":");
}

SigError CheckContentDigest(std::string_view field, std::string_view body) {
  SigResult<sf::Dictionary> d = sf::ParseDictionary(field);
  if (!d.ok()) return Malformed("Content-Digest: " + d.error().message);
  bool any = false;
  for (const auto& [k, m] : *d) {
    std::optional<DigestAlg> alg;
    if (k == "sha-256") alg = DigestAlg::kSha256;
    if (k == "sha-512") alg = DigestAlg::kSha512;
    if (!alg) continue;
    if (m.is_inner_list || m.item.bare.type != sf::BareItem::Type::kBytes)
      return Malformed(Cat("Content-Digest ", k, " is not a byte sequence"));
    if (m.item.bare.text != Hash(body, *alg))
      return Fail(SigCode::kDigestMismatch, Cat("Content-Digest ", k, " does not match the body"));
    any = true;
  }
  if (!any) return Fail(SigCode::kDigestMismatch, "Content-Digest has no sha-256 or sha-512");
  return {};
}

std::string LegacyDigest(std::string_view body, DigestAlg alg) {
  return Cat(alg == DigestAlg::kSha256 ? "SHA-256=" : "SHA-512=", Base64Encode(Hash(body, alg)));
}

SigError CheckLegacyDigest(std::string_view field, std::string_view body) {
  bool any = false;
  for (absl::string_view part_a : absl::StrSplit(AV(field), ',')) {
    std::string_view part(part_a.data(), part_a.size());
    part = TrimOws(part);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) return Malformed("Digest: an entry without '='");
    std::string_view name = part.substr(0, eq);
    std::optional<DigestAlg> alg;
    if (EqualsIgnoreCase(name, "sha-256")) alg = DigestAlg::kSha256;
    if (EqualsIgnoreCase(name, "sha-512")) alg = DigestAlg::kSha512;
    if (!alg) continue;
    std::optional<std::string> raw = Base64DecodeStrict(part.substr(eq + 1));
    if (!raw) return Malformed(Cat("Digest ", name, " is not base64"));
    if (*raw != Hash(body, *alg))
      return Fail(SigCode::kDigestMismatch, Cat("Digest ", name, " does not match the body"));
    any = true;
  }
  if (!any) return Fail(SigCode::kDigestMismatch, "Digest has no SHA-256 or SHA-512");
  return {};
}

// --- building blocks ------------------------------------------------------

SigResult<std::string> SignatureBase(const HttpMessage& message,
                                     std::string_view signature_input_member,
                                     const HttpMessage* request) {
  SigResult<sf::List> list = sf::ParseList(signature_input_member);
  if (!list.ok()) return list.error();
  if (list->size() != 1 || !(*list)[0].is_inner_list)
    return Malformed("a signature input member is one inner list");
  return BaseOf(message, (*list)[0].inner, request);
}

SigResult<std::string> CavageSigningString(const HttpMessage& msg, std::string_view headers,
                                           std::optional<int64_t> created,
                                           std::optional<int64_t> expires) {
  SigResult<std::vector<std::string>> names = SplitHeaders(Lower(headers));
  if (!names.ok()) return names.error();
  std::string out;
  for (const std::string& h : *names) {
    if (!out.empty()) out += '\n';
    if (h == "(request-target)") {
      if (!msg.is_request()) return Malformed("(request-target) in a response");
      std::optional<Uri> uri = ParseUri(msg.target_uri);
      if (!uri) return Malformed("the request's target URI is not absolute");
      Append(&out, h, ": ", Lower(msg.method), " ", uri->path,
                      uri->has_query ? "?" : "", uri->query);
    } else if (h == "(created)" || h == "(expires)") {
      std::optional<int64_t> v = h == "(created)" ? created : expires;
      if (!v) return Missing(Cat(h, " is covered but not given"));
      Append(&out, h, ": ", *v);
    } else {
      std::optional<std::string> v = msg.Field(h);
      if (!v) return Missing(Cat("no ", h, " field"));
      if (HasLineBreak(*v)) return Malformed(Cat("field ", h, " holds a line break"));
      Append(&out, h, ": ", *v);
    }
  }
  return out;
}

std::string HttpDate(int64_t unix_seconds) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(text), absl::UTCTimeZone(), &t, &err))
    return std::nullopt;
  return absl::ToUnixSeconds(t);
}

// --- signing ------------------------------------------------------------

SigResult<HeaderList> SignMessage(const HttpMessage& message, const Key& key,
                                  const HttpSignOptions& o) {
  if (o.key_id.empty() || o.key_id.size() > 2048) return Malformed("a key id is 1 to 2048 bytes");
  Alg alg = o.alg.value_or(key.default_alg());
  int64_t created = Now(o.created);
  HttpMessage msg = message;  // with the fields this call adds, to sign over them
  HeaderList added;
  auto add = [&](std::string name, std::string value) {
    msg.headers.emplace_back(name, value);
    added.emplace_back(std::move(name), std::move(value));
  };
  bool cavage = o.scheme == Scheme::kCavage;
  std::string_view digest_name = cavage ? "digest" : "content-digest";
  bool add_digest = o.digest && !msg.body.empty() && msg.FieldCount(digest_name) == 0;
  if (add_digest)
    add(cavage ? "Digest" : "Content-Digest",
        cavage ? LegacyDigest(msg.body, *o.digest) : ContentDigest(msg.body, *o.digest));
  std::vector<std::string> components = o.components;
  if (cavage) {
    if (msg.is_request() && msg.FieldCount("host") == 0) {
      std::optional<Uri> uri = ParseUri(msg.target_uri);
      if (!uri) return Malformed("the request's target URI is not absolute");
      add("Host", uri->authority);
    }
    if (msg.FieldCount("date") == 0) add("Date", HttpDate(created));
    if (components.empty()) {
      components = {"(request-target)", "host", "date"};
      if (!msg.is_request()) components = {"date"};
      if (msg.FieldCount("digest") > 0) components.push_back("digest");
    }
    if (o.key_id.find_first_of("\"\\") != std::string::npos)
      return Malformed("a cavage keyId cannot hold '\"' or '\\'");
    std::string headers;
    for (const std::string& c : components) Append(&headers, headers.empty() ? "" : " ", Lower(c));
    std::optional<int64_t> cr, ex = o.expires;
    if (Covers(components, "(created)")) cr = created;
    SigResult<std::string> text = CavageSigningString(msg, headers, cr, ex);
    if (!text.ok()) return text.error();
    SigResult<std::string> sig = key.Sign(alg, *text);
    if (!sig.ok()) return sig.error();
    std::string algorithm = alg == Alg::kRsaV15Sha256 ? "rsa-sha256" : "hs2019";
    std::string value = Cat("keyId=\"", o.key_id, "\",algorithm=\"", algorithm, "\",headers=\"", headers, "\"");
    if (cr) Append(&value, ",created=", *cr);
    if (ex) Append(&value, ",expires=", *ex);
    Append(&value, ",signature=\"", Base64Encode(*sig), "\"");
    added.emplace_back("Signature", std::move(value));
    return added;
  }
  if (components.empty()) {
    if (msg.is_request()) {
      components = {"@method", "@target-uri", "@authority"};
    } else {
      components = {"@status"};
    }
    if (msg.FieldCount("content-digest") > 0) components.push_back("content-digest");
    if (msg.is_request() && msg.FieldCount("date") > 0) components.push_back("date");
    if (!msg.is_request() && msg.FieldCount("content-type") > 0) components.push_back("content-type");
  }
  sf::InnerList covered;
  for (const std::string& c : components) {
    if (!c.empty() && c[0] == '"') {
      SigResult<sf::Item> item = sf::ParseItem(c);
      if (!item.ok()) return Malformed(Cat("component ", c, ": ", item.error().message));
      covered.items.push_back(std::move(*item));
    } else {
      covered.items.push_back(sf::Item{sf::BareItem::String(Lower(c)), {}});
    }
  }
  covered.params.emplace_back("created", sf::BareItem::Integer(created));
  if (o.expires) covered.params.emplace_back("expires", sf::BareItem::Integer(*o.expires));
  covered.params.emplace_back("keyid", sf::BareItem::String(o.key_id));
  if (o.include_alg) covered.params.emplace_back("alg", sf::BareItem::String(std::string(AlgName(alg))));
  if (!o.nonce.empty()) covered.params.emplace_back("nonce", sf::BareItem::String(o.nonce));
  if (!o.tag.empty()) covered.params.emplace_back("tag", sf::BareItem::String(o.tag));
  if (std::optional<std::string> existing = msg.Field("signature-input")) {
    SigResult<sf::Dictionary> d = sf::ParseDictionary(*existing);
    if (d.ok())
      for (const auto& [k, m] : *d)
        if (k == o.label) return Malformed(Cat("the label ", o.label, " is in use"));
  }
  SigResult<std::string> base = BaseOf(msg, covered, nullptr);
  if (!base.ok()) return base.error();
  SigResult<std::string> sig = key.Sign(alg, *base);
  if (!sig.ok()) return sig.error();
  SigResult<std::string> input = sf::SerializeInnerList(covered);
  if (!input.ok()) return input.error();
  sf::Dictionary label_check = {{o.label, sf::Member{}}};
  if (!sf::SerializeDictionary(label_check).ok()) return Malformed("a label is an RFC 8941 key");
  added.emplace_back("Signature-Input", Cat(o.label, "=", *input));
  added.emplace_back("Signature", Cat(o.label, "=:", Base64Encode(*sig), ":"));
  return added;
}

// --- verifying ----------------------------------------------------------

SigResult<HttpVerified> VerifyMessage(const HttpMessage& message, const KeyResolver& keys,
                                      const HttpVerifyOptions& options,
                                      const HttpMessage* request) {
  if (message.FieldCount("signature-input") > 0) {
    SigResult<std::vector<Rfc9421Signature>> sigs = ParseRfc9421(message, options);
    if (!sigs.ok()) return sigs.error();
    std::optional<SigError> first;
    for (const Rfc9421Signature& s : *sigs) {
      SigResult<HttpVerified> v = VerifyOneRfc9421(message, s, keys, options, request);
      if (v.ok()) return v;
      if (!first) first = v.error();
    }
    return *first;
  }
  std::optional<std::string> cavage = CavageField(message);
  if (!cavage) return Missing("the message is not signed (no Signature-Input or Signature)");
  if (message.FieldCount("signature") > 1) return Malformed("more than one Signature field");
  return VerifyCavage(message, *cavage, keys, options);
}

SigResult<std::vector<std::string>> SignatureKeyIds(const HttpMessage& message,
                                                    const HttpVerifyOptions& options) {
  std::vector<std::string> out;
  if (message.FieldCount("signature-input") > 0) {
    SigResult<std::vector<Rfc9421Signature>> sigs = ParseRfc9421(message, options);
    if (!sigs.ok()) return sigs.error();
    for (const Rfc9421Signature& s : *sigs)
      if (!s.keyid.empty() && std::find(out.begin(), out.end(), s.keyid) == out.end())
        out.push_back(s.keyid);
    return out;
  }
  std::optional<std::string> cavage = CavageField(message);
  if (!cavage) return Missing("the message is not signed (no Signature-Input or Signature)");
  SigResult<CavageSignature> s = ParseCavage(*cavage, options);
  if (!s.ok()) return s.error();
  out.push_back(s->key_id);
  return out;
}

// --- PeerSchemes ------------------------------------------------------------

struct PeerSchemes::State {
  mutable std::mutex mu;
  absl::flat_hash_map<std::string, Scheme> worked;
  size_t capacity;
};

PeerSchemes::PeerSchemes(Scheme first, size_t capacity)
    : state_(std::make_unique<State>()), first_(first) {
  state_->capacity = capacity == 0 ? 1 : capacity;
}
PeerSchemes::~PeerSchemes() = default;

Scheme PeerSchemes::For(std::string_view peer) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->worked.find(AV(peer));
  return it == state_->worked.end() ? first_ : it->second;
}

void PeerSchemes::Record(std::string_view peer, Scheme worked) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->worked.size() >= state_->capacity && !state_->worked.contains(AV(peer)))
    state_->worked.clear();
  state_->worked[std::string(peer)] = worked;
}

size_t PeerSchemes::size() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->worked.size();
}

}  // namespace sexp::sig
