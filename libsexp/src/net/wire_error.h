// Internal: what sexpr/1's server and client both put on and read off a
// stream besides the frames themselves (spec/wire.md §3.4) — the wire error
// code for a framing error, the names errors are reported by, and the one
// chunk a payload goes out as. sexpr/1 only: the endpoint, connection and
// listener never see these (they carry application error codes as numbers).
//
// Pure functions, any thread.
#ifndef SEXP_SRC_NET_WIRE_ERROR_H_
#define SEXP_SRC_NET_WIRE_ERROR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "sexp/core/error.h"
#include "sexp/net/quic.h"

namespace sexp::net_internal {

using quic::WireError;

// The code a stream is reset with for the frame decoder's error `code`
// (kBadRequest for anything that is not a framing error).
WireError WireErrorOf(ErrorCode code);

// The spec's name of a wire error code ("frame-too-large"), "unknown" for a
// code sexpr/1 does not define: failures name the peer's code with it.
std::string_view WireErrorName(uint64_t code);

// `payload` as one frame: an OutQueue chunk.
std::string FrameChunk(std::string_view payload);

}  // namespace sexp::net_internal

#endif  // SEXP_SRC_NET_WIRE_ERROR_H_
