// sexp/core/sink.h — where output goes, in chunks: the one sink interface of
// the library. The canonical and pretty writers (sexp/core/writer.h), the
// hasher (Sha3Sink, sexp/core/address.h) and the HTML renderer
// (sexp/html/render.h) all write to a ByteSink.
//
//   std::string out;
//   sexp::StringSink sink(&out);
//   sexp::WriteCanonical(node, sink);        // out holds the canonical bytes
//
// A producer calls Write with each chunk; a chunk is valid only during the
// call. A sink that returns false refuses the rest of the output: the
// producer sends it nothing more and fails (the writers with `sink-refused`,
// the renderer with a `render` error). Sinks are not thread-safe; one
// producer writes to a sink at a time.
#ifndef SEXP_CORE_SINK_H_
#define SEXP_CORE_SINK_H_

#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace sexp {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Takes the next chunk of output; false refuses the rest.
  virtual bool Write(std::string_view chunk) = 0;
};

// Appends to a std::string the caller owns (and keeps alive while it is
// written to). The HTML renderer writes into the string directly, and leaves
// it as it was when a render fails.
class StringSink final : public ByteSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  bool Write(std::string_view chunk) override {
    out_->append(chunk);
    return true;
  }
  std::string* target() const { return out_; }

 private:
  std::string* out_;
};

// Writes to a file descriptor it does not close, retrying short writes and
// EINTR; refuses the rest after a write error.
class FdSink final : public ByteSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  bool Write(std::string_view chunk) override;

 private:
  int fd_;
};

// Hands each chunk to a callback (a chunked HTTP response, a Python callable).
class CallbackSink final : public ByteSink {
 public:
  explicit CallbackSink(std::function<bool(std::string_view)> fn) : fn_(std::move(fn)) {}
  bool Write(std::string_view chunk) override { return fn_(chunk); }

 private:
  std::function<bool(std::string_view)> fn_;
};

}  // namespace sexp

#endif  // SEXP_CORE_SINK_H_
