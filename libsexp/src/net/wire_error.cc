// sexpr/1's wire error codes and their names, and a payload's frame chunk
// (see wire_error.h).
#include "net/wire_error.h"

#include "sexp/wire/frame.h"

namespace sexp::net_internal {

WireError WireErrorOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kFrameTooLarge: return WireError::kFrameTooLarge;
    case ErrorCode::kBadVarint: return WireError::kBadVarint;
    case ErrorCode::kFrameTruncated: return WireError::kFrameTruncated;
    default: return WireError::kBadRequest;
  }
}

std::string_view WireErrorName(uint64_t code) {
  switch (static_cast<WireError>(code)) {
    case WireError::kNoError: return "no-error";
    case WireError::kFrameTooLarge: return "frame-too-large";
    case WireError::kBadVarint: return "bad-varint";
    case WireError::kFrameTruncated: return "frame-truncated";
    case WireError::kBadRequest: return "bad-request";
    case WireError::kInternal: return "internal";
    case WireError::kShutdown: return "shutdown";
    case WireError::kBusy: return "busy";
    case WireError::kTimeout: return "timeout";
  }
  return "unknown";
}

std::string FrameChunk(std::string_view payload) {
  std::string chunk;
  chunk.reserve(VarintSize(payload.size()) + payload.size());
  AppendFrame(payload, &chunk);
  return chunk;
}

}  // namespace sexp::net_internal
