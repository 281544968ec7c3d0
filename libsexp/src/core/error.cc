#include "sexp/core/error.h"

#include "absl/strings/str_cat.h"
#include "core/strutil.h"

namespace sexp {

using internal::AV;

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kUnexpectedEof: return "unexpected-eof";
    case ErrorCode::kUnexpectedClose: return "unexpected-close";
    case ErrorCode::kInvalidNumber: return "invalid-number";
    case ErrorCode::kNumberOutOfRange: return "number-out-of-range";
    case ErrorCode::kInvalidEscape: return "invalid-escape";
    case ErrorCode::kInvalidSurrogate: return "invalid-surrogate";
    case ErrorCode::kInvalidUtf8: return "invalid-utf8";
    case ErrorCode::kInvalidCharacter: return "invalid-character";
    case ErrorCode::kInvalidToken: return "invalid-token";
    case ErrorCode::kInvalidBase64: return "invalid-base64";
    case ErrorCode::kInvalidDict: return "invalid-dict";
    case ErrorCode::kDuplicateKey: return "duplicate-key";
    case ErrorCode::kDepthLimit: return "depth-limit";
    case ErrorCode::kSizeLimit: return "size-limit";
    case ErrorCode::kOutOfMemory: return "out-of-memory";
    case ErrorCode::kTrailingInput: return "trailing-input";
    case ErrorCode::kEmptyInput: return "empty-input";
    case ErrorCode::kUnrepresentable: return "unrepresentable";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kFrameTooLarge: return "frame-too-large";
    case ErrorCode::kFrameTruncated: return "frame-truncated";
    case ErrorCode::kBadVarint: return "bad-varint";
    case ErrorCode::kBadMessage: return "bad-message";
    case ErrorCode::kSinkRefused: return "sink-refused";
    case ErrorCode::kParserFailure: return "parser-failure";
  }
  return "unknown";
}

std::string Error::ToString() const {
  if (line == 0) return absl::StrCat(AV(ErrorCodeName(code)), ": ", message);
  return absl::StrCat(line, ":", column, ": ", AV(ErrorCodeName(code)), ": ",
                      message);
}

absl::Status Error::ToStatus() const {
  switch (code) {
    case ErrorCode::kOk:
      return absl::OkStatus();
    case ErrorCode::kDepthLimit:
    case ErrorCode::kSizeLimit:
    case ErrorCode::kOutOfMemory:
    case ErrorCode::kFrameTooLarge:
      return absl::ResourceExhaustedError(ToString());
    case ErrorCode::kTimeout:
      return absl::DeadlineExceededError(ToString());
    default:
      return absl::InvalidArgumentError(ToString());
  }
}

}  // namespace sexp
