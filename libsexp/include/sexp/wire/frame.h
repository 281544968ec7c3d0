// sexp/wire/frame.h — the wire's framing (spec/wire.md), sans-I/O.
//
// A frame is a QUIC variable-length integer (RFC 9000 §16) holding the
// payload length N, then N bytes of canonical sx. Lengths are written in
// their shortest form, and the decoder refuses longer ones, so every message
// has exactly one frame: the bytes of a frame are as canonical as its sx.
//
//   std::string wire;
//   sexp::AppendFrame("(GET \"/\")", &wire);         // "\x09(GET \"/\")"
//   sexp::FrameDecoder dec;                          // max 16 MiB a frame
//   dec.Feed(wire.substr(0, 3));                     // any chunking
//   dec.Feed(wire.substr(3));
//   while (std::optional<std::string_view> f = dec.Next()) Handle(*f);
//   if (dec.failed()) Report(dec.error());           // the stream is broken
//   sexp::Error end = dec.Finish();                  // at FIN: inside a frame?
//
// Errors name what happened and where (`offset`: the byte of the stream the
// frame starts at): `frame-too-large` as soon as a length over the maximum
// is read (nothing of that frame is buffered), `bad-varint` for a length not
// in its shortest form, `frame-truncated` when the stream ends inside a
// frame. After an error the decoder stays failed and drops what it is fed.
#ifndef SEXP_WIRE_FRAME_H_
#define SEXP_WIRE_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sexp/core/ast.h"
#include "sexp/core/error.h"

namespace sexp {

inline constexpr size_t kDefaultMaxFrameSize = size_t{16} << 20;
// The largest value a QUIC varint holds (2^62 - 1).
inline constexpr uint64_t kMaxVarint = (uint64_t{1} << 62) - 1;

// Bytes of the shortest varint for `n` (1, 2, 4 or 8); n <= kMaxVarint.
size_t VarintSize(uint64_t n);
// Writes the shortest varint for `n` at `out`; returns the byte after it.
char* WriteVarint(uint64_t n, char* out);
// Appends a frame carrying `payload` (canonical sx: see EncodeFrame).
void AppendFrame(std::string_view payload, std::string* out);
// The frame of a node: its canonical form, framed. Errors are the writer's.
Result<std::string> EncodeFrame(const Node& node);

struct FrameOptions {
  size_t max_frame_size = kDefaultMaxFrameSize;  // payload bytes
};

// Splits a byte stream into frames, fed in chunks of any size.
class FrameDecoder {
 public:
  explicit FrameDecoder(const FrameOptions& options = {});

  // Adds the next bytes of the stream. False once the decoder has failed.
  bool Feed(std::string_view bytes);
  // The payload of the next whole frame, or nullopt (more bytes needed, or
  // failed). The view is valid until the next call of Feed or Next.
  std::optional<std::string_view> Next();
  // The stream ended: ok if it ended between frames (buffered whole frames
  // not yet taken with Next are an error too: call Next until nullopt first).
  Error Finish();

  bool failed() const { return !error_.ok(); }
  const Error& error() const { return error_; }
  // Bytes of the stream consumed by frames taken so far.
  uint64_t offset() const { return consumed_; }
  // Bytes held for frames not yet complete (bounded by the maximum frame).
  size_t buffered() const { return buffer_.size() - read_; }

 private:
  // Reads the header of the frame at read_: its size and payload length, or
  // false when more bytes are needed (or the header is bad: error_ set).
  bool Header(size_t* header_size, uint64_t* length);
  void Fail(ErrorCode code, std::string message);

  FrameOptions options_;
  std::string buffer_;
  size_t read_ = 0;        // start of the first frame not yet taken
  uint64_t consumed_ = 0;  // stream offset of buffer_[read_]
  Error error_;
};

}  // namespace sexp

#endif  // SEXP_WIRE_FRAME_H_
