// sexp/sig/error.h — why a signature, a key or a signed HTTP message was
// refused: one small code enum for the whole signatures area, with stable
// kebab-case names (spec/signatures.md, Python's sexp.SignatureError.code).
//
//   sexp::sig::SigResult<sexp::sig::Key> key = sexp::sig::Key::FromPem(pem);
//   if (!key.ok()) std::cerr << key.error().ToString() << "\n";
//   // "malformed: not a PEM private or public key"
//
// Nothing in this area throws; every fallible call returns a SigResult<T>
// (a value or a SigError) or a SigError whose code is kOk on success.
#ifndef SEXP_SIG_ERROR_H_
#define SEXP_SIG_ERROR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sexp::sig {

enum class SigCode : uint8_t {
  kOk = 0,
  kBadSignature,      // the signature does not verify over the signed bytes
  kUnknownKey,        // the key resolver has no key for the key id
  kExpired,           // created too long ago, past `expires`, Date too old
  kNotYetValid,       // created / Date in the future beyond the skew window
  kDigestMismatch,    // Content-Digest / Digest does not match the body
  kAlgNotAllowed,     // algorithm unknown, `none`, not allowed by the
                      // verifier, not what the key is, or a key too weak
  kMalformed,         // an envelope, header, key or base64 that does not parse,
                      // or over a documented limit
  kMissingComponent,  // a covered header/component absent from the message,
                      // or a component the verifier requires not covered
};

// "bad-signature", "unknown-key", …; "ok" for kOk.
std::string_view SigCodeName(SigCode code);

struct SigError {
  SigCode code = SigCode::kOk;
  std::string message;  // what was wrong, for a log line; never key material

  bool ok() const { return code == SigCode::kOk; }
  std::string ToString() const;  // "code-name: message"
};

inline SigError Fail(SigCode code, std::string message) {
  return SigError{code, std::move(message)};
}

// A value or a SigError.
template <class T>
class SigResult {
 public:
  SigResult(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  SigResult(SigError error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const SigError& error() const { return std::get<1>(v_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, SigError> v_;
};

}  // namespace sexp::sig

#endif  // SEXP_SIG_ERROR_H_
