// libFuzzer target: the frame decoder (sexp/wire/frame.h).
//
// The input is a byte stream; its first byte picks a chunk size (1..32) and a
// small maximum frame size. Invariants:
//   - decoding in chunks gives the same frames, offset and error as decoding
//     the whole stream at once;
//   - each frame taken is re-encoded to exactly the bytes it came from;
//   - the buffer never holds more than the maximum frame plus its length and
//     one chunk;
//   - after a failure nothing more is taken;
//   - a payload that reads as sx validates as a message or fails with
//     bad-message (never anything else).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "sexp/wire/frame.h"
#include "sexp/wire/message.h"
#include "sexp/core/reader.h"

namespace {

struct Outcome {
  std::vector<std::string> frames;
  uint64_t offset = 0;
  sexp::ErrorCode code = sexp::ErrorCode::kOk;
  uint64_t error_offset = 0;
};

Outcome Decode(std::string_view wire, size_t chunk, size_t max_frame) {
  sexp::FrameOptions options;
  options.max_frame_size = max_frame;
  sexp::FrameDecoder dec(options);
  Outcome out;
  for (size_t at = 0; at < wire.size(); at += chunk) {
    bool ok = dec.Feed(wire.substr(at, chunk));
    FUZZ_CHECK(ok == !dec.failed());
    FUZZ_CHECK(dec.buffered() <= max_frame + 8 + 2 * chunk);
    while (auto f = dec.Next()) {
      std::string again;
      sexp::AppendFrame(*f, &again);
      uint64_t start = dec.offset() - again.size();
      FUZZ_CHECK(wire.substr(static_cast<size_t>(start), again.size()) == again);
      out.frames.emplace_back(*f);
      // A payload that reads is checked against the vocabulary: any answer
      // but a crash (an error is bad-message with a position).
      sexp::ReadOptions read;
      read.max_depth = 64;
      if (auto doc = sexp::ReadOne(*f, read); doc.ok()) {
        sexp::Error e = sexp::ValidateMessage(doc->roots()[0], &*doc);
        FUZZ_CHECK(e.ok() || e.code == sexp::ErrorCode::kBadMessage);
      }
    }
  }
  sexp::Error end = dec.Finish();
  out.offset = dec.offset();
  out.code = end.code;
  out.error_offset = end.offset;
  if (dec.failed()) FUZZ_CHECK(!dec.Feed("x") && !dec.Next().has_value());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + (data[0] & 31);
  size_t max_frame = size_t{1} << (data[0] >> 5);  // 1 .. 128 bytes
  std::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);
  Outcome whole = Decode(wire, wire.size() + 1, max_frame);
  Outcome chunked = Decode(wire, chunk, max_frame);
  FUZZ_CHECK(whole.frames == chunked.frames);
  FUZZ_CHECK(whole.offset == chunked.offset);
  FUZZ_CHECK(whole.code == chunked.code);
  FUZZ_CHECK(whole.error_offset == chunked.error_offset);
  return 0;
}
