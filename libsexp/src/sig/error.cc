#include "sexp/sig/error.h"

namespace sexp::sig {

std::string_view SigCodeName(SigCode code) {
  switch (code) {
    case SigCode::kOk: return "ok";
    case SigCode::kBadSignature: return "bad-signature";
    case SigCode::kUnknownKey: return "unknown-key";
    case SigCode::kExpired: return "expired";
    case SigCode::kNotYetValid: return "not-yet-valid";
    case SigCode::kDigestMismatch: return "digest-mismatch";
    case SigCode::kAlgNotAllowed: return "alg-not-allowed";
    case SigCode::kMalformed: return "malformed";
    case SigCode::kMissingComponent: return "missing-component";
  }
  return "unknown";
}

std::string SigError::ToString() const {
  std::string out(SigCodeName(code));
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

}  // namespace sexp::sig
