// Bindings of sexp::sig (keys, signed sx, HTTP signatures) for the package's
// sexp.keys / sexp.sign / sexp.verify / sexp.httpsig. The Python layer
// (bindings/python/sexp/keys.py, httpsig.py, __init__.py) adds the
// documented signatures, async key resolvers and SignatureError; this file
// raises SignatureError(code, message) through the class Python hands it.
#include "sig.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sexp/sig/envelope.h"
#include "sexp/sig/httpsig.h"
#include "sexp/sig/key.h"

namespace sexp_py {
namespace {

using sexp::sig::Alg;
using sexp::sig::AlgSet;
using sexp::sig::Key;
using sexp::sig::KeyType;
using sexp::sig::SigCode;
using sexp::sig::SigError;
using sexp::sig::SigResult;

py::object& SignatureErrorType() {
  static py::object* type = new py::object();  // set once by _set_signature_error
  return *type;
}

[[noreturn]] void ThrowSig(const SigError& e) {
  py::object type = SignatureErrorType();
  if (!type) throw std::runtime_error(e.ToString());
  py::object err = type(std::string(sexp::sig::SigCodeName(e.code)), e.message);
  PyErr_SetObject(type.ptr(), err.ptr());
  throw py::error_already_set();
}

template <class T>
T Take(SigResult<T> r) {
  if (!r.ok()) ThrowSig(r.error());
  return std::move(r).value();
}

Alg AlgOf(const std::string& name) {
  std::optional<Alg> a = sexp::sig::ParseAlg(name);
  if (!a) ThrowSig({SigCode::kAlgNotAllowed, "unknown algorithm \"" + name + "\""});
  return *a;
}

AlgSet AllowedOf(const std::optional<std::vector<std::string>>& names) {
  if (!names) return AlgSet::PublicKey();
  AlgSet set;
  for (const std::string& n : *names) set = set.With(AlgOf(n));
  return set;
}

KeyType TypeOf(const std::string& name) {
  if (name == "ed25519") return KeyType::kEd25519;
  if (name == "rsa") return KeyType::kRsa;
  if (name == "p256") return KeyType::kP256;
  if (name == "hmac") return KeyType::kHmacSecret;
  throw py::value_error("a key type is ed25519, rsa, p256 or hmac (got '" + name + "')");
}

using KeyMap = std::map<std::string, Key, std::less<>>;

sexp::sig::KeyResolver ResolverOf(const KeyMap& keys) {
  return [&keys](std::string_view id) -> SigResult<Key> {
    auto it = keys.find(id);
    if (it == keys.end())
      return sexp::sig::Fail(SigCode::kUnknownKey, "no key for key id " + std::string(id));
    return it->second;
  };
}

sexp::sig::HttpMessage MessageOf(const std::string& method, const std::string& url, int status,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 py::bytes body) {
  sexp::sig::HttpMessage m;
  m.method = method;
  m.target_uri = url;
  m.status = status;
  m.headers = headers;
  m.body = std::string(body);
  return m;
}

py::tuple VerifiedTuple(const sexp::sig::Verified& v) {
  return py::make_tuple(v.key_id, std::string(sexp::sig::AlgName(v.alg)), v.created);
}

}  // namespace

void RegisterSig(py::module_& m, const DocumentOf& document_of) {
  m.def("_set_signature_error", [](py::object type) { SignatureErrorType() = type; });

  py::class_<Key>(m, "Key", "A signing key: Ed25519, RSA, ECDSA P-256 or an HMAC secret "
                            "(immutable; share it between threads freely).")
      .def_static("_generate", [](const std::string& type, int bits) {
        py::gil_scoped_release release;  // RSA generation takes a while
        return Take(Key::Generate(TypeOf(type), bits));
      })
      .def_static("_from_pem", [](const std::string& pem) { return Take(Key::FromPem(pem)); })
      .def_static("_from_secret", [](py::bytes s) { return Take(Key::FromSecret(std::string(s))); })
      .def_static("_from_multikey", [](const std::string& mk) { return Take(Key::FromMultikey(mk)); })
      .def_property_readonly("type", [](const Key& k) { return std::string(sexp::sig::KeyTypeName(k.type())); },
                             "'ed25519', 'rsa', 'p256' or 'hmac'.")
      .def_property_readonly("has_private", &Key::has_private,
                             "True for a private key or a secret, False for a public key.")
      .def_property_readonly("bits", &Key::bits, "Modulus, curve or secret size in bits.")
      .def_property_readonly("alg", [](const Key& k) { return std::string(sexp::sig::AlgName(k.default_alg())); },
                             "The algorithm this key signs with by default.")
      .def("public", &Key::PublicOnly, "The same key without its private half.")
      .def("private_pem", [](const Key& k) { return Take(k.PrivatePem()); },
           "The private key as PKCS#8 PEM (unencrypted).")
      .def("public_pem", [](const Key& k) { return Take(k.PublicPem()); }, "The public key as SPKI PEM.")
      .def("multikey", [](const Key& k) { return Take(k.Multikey()); },
           "The Ed25519 public key as Multikey text ('z6Mk…', FEP-521a).")
      .def("sign_bytes", [](const Key& k, py::bytes data, std::optional<std::string> alg) {
        std::string d(data);
        std::string sig = Take(k.Sign(alg ? AlgOf(*alg) : k.default_alg(), d));
        return py::bytes(sig);
      }, py::arg("data"), py::arg("alg") = py::none(), "Raw signature bytes over `data`.")
      .def("verify_bytes", [](const Key& k, py::bytes data, py::bytes sig, std::optional<std::string> alg) {
        SigError e = k.Verify(alg ? AlgOf(*alg) : k.default_alg(), std::string(data), std::string(sig));
        if (!e.ok()) ThrowSig(e);
      }, py::arg("data"), py::arg("signature"), py::arg("alg") = py::none(),
         "Returns None when `signature` is valid over `data`; raises SignatureError otherwise.")
      .def("__repr__", [](const Key& k) {
        return "<sexp.keys.Key " + std::string(sexp::sig::KeyTypeName(k.type())) +
               (k.has_private() ? " private" : " public") + ">";
      });

  m.def("_sign", [document_of](py::handle value, const Key& key, const std::string& key_id,
                               std::optional<std::string> alg, std::optional<int64_t> created) {
    sexp::Document doc = document_of(value, /*str_is_text=*/false);
    sexp::sig::SignOptions o{key_id, alg ? std::optional<Alg>(AlgOf(*alg)) : std::nullopt, created};
    return Take(sexp::sig::Sign(doc.roots()[0], key, o));
  });
  m.def("_cosign", [document_of](py::handle envelope, const Key& key, const std::string& key_id,
                                 std::optional<std::string> alg, std::optional<int64_t> created) {
    sexp::Document doc = document_of(envelope, /*str_is_text=*/true);
    sexp::sig::SignOptions o{key_id, alg ? std::optional<Alg>(AlgOf(*alg)) : std::nullopt, created};
    return Take(sexp::sig::CoSign(doc.roots()[0], key, o));
  });
  m.def("_envelope_key_ids", [document_of](py::handle envelope) {
    sexp::Document doc = document_of(envelope, /*str_is_text=*/true);
    sexp::sig::Envelope env = Take(sexp::sig::ParseEnvelope(doc.roots()[0]));
    std::vector<std::string> ids;
    for (const auto& s : env.signatures) ids.push_back(s.key_id);
    return ids;
  });
  // Verifies with the keys already resolved; returns (inner canonical text,
  // [(key_id, alg, created) | (code, message) per signature]).
  m.def("_verify", [document_of](py::handle envelope, const KeyMap& keys,
                                 std::optional<std::vector<std::string>> allowed,
                                 std::optional<int64_t> now, int64_t max_skew, int64_t max_age,
                                 int min_rsa_bits, bool each) {
    sexp::Document doc = document_of(envelope, /*str_is_text=*/true);
    sexp::sig::VerifyOptions o;
    o.allowed = AllowedOf(allowed);
    o.now = now;
    o.max_skew = max_skew;
    o.max_age = max_age;
    o.min_rsa_bits = min_rsa_bits;
    sexp::sig::Envelope env = Take(sexp::sig::ParseEnvelope(doc.roots()[0], o.limits));
    py::list results;
    {
      std::vector<SigResult<sexp::sig::Verified>> r;
      {
        py::gil_scoped_release release;
        r = sexp::sig::VerifyEach(env, ResolverOf(keys), o);  // parsed once, above
      }
      for (auto& v : r) {
        if (!each && !v.ok()) ThrowSig(v.error());
        results.append(v.ok() ? py::object(VerifiedTuple(*v))
                              : py::object(py::make_tuple(std::string(sexp::sig::SigCodeName(v.error().code)),
                                                          v.error().message)));
      }
    }
    return py::make_tuple(env.inner_canonical, results);
  });

  using Headers = std::vector<std::pair<std::string, std::string>>;
  m.def("_http_key_ids", [](const std::string& method, const std::string& url, int status,
                            const Headers& headers) {
    auto msg = MessageOf(method, url, status, headers, py::bytes());
    return Take(sexp::sig::SignatureKeyIds(msg));
  });
  m.def("_http_verify", [](const std::string& method, const std::string& url, int status,
                           const Headers& headers, py::bytes body, const KeyMap& keys,
                           std::optional<std::vector<std::string>> allowed, std::optional<int64_t> now,
                           int64_t max_skew, int64_t max_age, int min_rsa_bits, bool require_target,
                           bool require_digest, std::vector<std::string> required, std::string label) {
    auto msg = MessageOf(method, url, status, headers, body);
    sexp::sig::HttpVerifyOptions o;
    o.allowed = AllowedOf(allowed);
    o.now = now;
    o.max_skew = max_skew;
    o.max_age = max_age;
    o.min_rsa_bits = min_rsa_bits;
    o.require_target = require_target;
    o.require_digest = require_digest;
    o.required = std::move(required);
    o.label = std::move(label);
    SigResult<sexp::sig::HttpVerified> r = [&] {
      py::gil_scoped_release release;
      return sexp::sig::VerifyMessage(msg, ResolverOf(keys), o);
    }();
    sexp::sig::HttpVerified v = Take(std::move(r));
    return py::make_tuple(std::string(sexp::sig::SchemeName(v.scheme)), v.label, v.key_id,
                          std::string(sexp::sig::AlgName(v.alg)),
                          v.created ? py::object(py::int_(*v.created)) : py::object(py::none()),
                          v.covered);
  });
  m.def("_http_sign", [](const std::string& method, const std::string& url, int status,
                         const Headers& headers, py::bytes body, const Key& key,
                         const std::string& key_id, const std::string& scheme,
                         std::optional<std::string> alg, std::vector<std::string> components,
                         std::optional<int64_t> created, std::optional<int64_t> expires,
                         std::string nonce, std::string tag, std::string label, bool include_alg,
                         std::optional<std::string> digest) {
    auto msg = MessageOf(method, url, status, headers, body);
    sexp::sig::HttpSignOptions o;
    if (scheme == "cavage") o.scheme = sexp::sig::Scheme::kCavage;
    else if (scheme != "rfc9421") throw py::value_error("scheme is 'rfc9421' or 'cavage'");
    o.key_id = key_id;
    if (alg) o.alg = AlgOf(*alg);
    o.components = std::move(components);
    o.created = created;
    o.expires = expires;
    o.nonce = std::move(nonce);
    o.tag = std::move(tag);
    o.label = std::move(label);
    o.include_alg = include_alg;
    if (!digest) o.digest.reset();
    else if (*digest == "sha-512") o.digest = sexp::sig::DigestAlg::kSha512;
    else if (*digest != "sha-256") throw py::value_error("digest is 'sha-256', 'sha-512' or None");
    return Take(sexp::sig::SignMessage(msg, key, o));
  });
  m.def("_content_digest", [](py::bytes body, const std::string& alg) {
    return sexp::sig::ContentDigest(std::string(body), alg == "sha-512" ? sexp::sig::DigestAlg::kSha512
                                                                       : sexp::sig::DigestAlg::kSha256);
  });
  m.def("_check_content_digest", [](const std::string& field, py::bytes body) {
    SigError e = sexp::sig::CheckContentDigest(field, std::string(body));
    if (!e.ok()) ThrowSig(e);
  });

  py::class_<sexp::sig::PeerSchemes>(m, "PeerSchemes",
                                     "Which HTTP signature scheme each peer accepted (thread-safe).")
      .def(py::init([](const std::string& first, size_t capacity) {
             return std::make_unique<sexp::sig::PeerSchemes>(
                 first == "cavage" ? sexp::sig::Scheme::kCavage : sexp::sig::Scheme::kRfc9421, capacity);
           }),
           py::arg("first") = "rfc9421", py::arg("capacity") = 100000)
      .def("scheme_for", [](const sexp::sig::PeerSchemes& p, const std::string& peer) {
        return std::string(sexp::sig::SchemeName(p.For(peer)));
      }, py::arg("peer"), "The scheme to sign with first for `peer` (its authority).")
      .def("record", [](sexp::sig::PeerSchemes& p, const std::string& peer, const std::string& scheme) {
        p.Record(peer, scheme == "cavage" ? sexp::sig::Scheme::kCavage : sexp::sig::Scheme::kRfc9421);
      }, py::arg("peer"), py::arg("scheme"), "Remembers that `peer` accepted `scheme`.")
      .def("__len__", &sexp::sig::PeerSchemes::size);
}

}  // namespace sexp_py
