// Internal: the 64 KiB output buffer both writers put in front of their
// ByteSink — the canonical writer (canonical.cc) and the pretty-printer
// (pretty.cc) — so a hashing sink sees large updates and the canonical text
// is never held whole. A header of its own because both use it; inline,
// because the canonical loop keeps the buffer's cursor in a register and
// writes through it with no call (FAST_PATH.md, "Canonical writer").
#ifndef SEXP_SRC_CORE_OUT_BUFFER_H_
#define SEXP_SRC_CORE_OUT_BUFFER_H_

#include <cstddef>
#include <cstring>
#include <string_view>

#include "sexp/core/writer.h"

namespace sexp::internal {

// The writers' 64 KiB output buffer in front of a ByteSink. Two ways to
// use it: Put/Flush at the buffer's own cursor (the formatter), or, for a
// loop that keeps the cursor in a register (the canonical writer), start at
// cursor(), write up to limit(), call PutAt/FlushAt with the cursor, and
// hand it back with Commit before Flush or destruction.
class OutBuffer {
 public:
  static constexpr size_t kSize = 64 * 1024;

  explicit OutBuffer(ByteSink& sink) : sink_(sink) {}
  ~OutBuffer() { Flush(); }

  void Put(char c) {
    if (w_ == limit()) Flush();
    *w_++ = c;
  }
  void Put(std::string_view s) { w_ = PutAt(w_, s); }
  void Flush() { w_ = FlushAt(w_); }

  char* begin() { return buf_; }
  char* limit() { return buf_ + kSize; }
  char* cursor() const { return w_; }
  void Commit(char* w) { w_ = w; }
  // Hands [begin(), w) to the sink; returns begin(). Out of line: it is rare,
  // and inlined at each of the canonical loop's flush points it cost that
  // loop ~4 % more instructions.
  [[gnu::noinline]] char* FlushAt(char* w) {
    if (w > buf_) Send(std::string_view(buf_, static_cast<size_t>(w - buf_)));
    return buf_;
  }
  // The sink refused a chunk: it was sent nothing after that one.
  bool refused() const { return refused_; }
  // Appends s at w, flushing first when it does not fit (text larger than
  // the buffer goes to the sink directly); returns the new cursor.
  char* PutAt(char* w, std::string_view s) {
    if (s.size() > static_cast<size_t>(limit() - w)) {
      w = FlushAt(w);
      if (s.size() >= kSize) {
        Send(s);
        return w;
      }
    }
    std::memcpy(w, s.data(), s.size());
    return w + s.size();
  }

 private:
  void Send(std::string_view chunk) {
    if (!refused_) refused_ = !sink_.Write(chunk);
  }

  ByteSink& sink_;
  bool refused_ = false;
  char* w_ = buf_;
  char buf_[kSize];  // last: the small members stay on their own lines
};

// What a writer returns when its sink refused the output.
inline Error SinkRefusedError() {
  return Error{ErrorCode::kSinkRefused, kNoOffset, 0, 0, "the sink refused the output"};
}

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_OUT_BUFFER_H_
