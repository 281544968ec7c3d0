// sexp/core/error.h — error values for the hot paths (reader, writer).
//
// The reader and writers never throw. They return a `Result<T>`, which holds
// either a value or an `Error` that names what went wrong, where (byte offset
// plus 1-based line and byte column), and what was expected there.
//
//   sexp::Result<sexp::Document> doc = sexp::Read("(p \"hi\"");
//   if (!doc.ok()) {
//     std::cerr << doc.error().ToString() << "\n";  // 1:8: unexpected-eof: ...
//     return 1;
//   }
//   Use(doc->roots());
//
// Boundaries that are not hot (evaluation, resolver, images) use
// absl::Status; `Error::ToStatus()` converts.
#ifndef SEXP_CORE_ERROR_H_
#define SEXP_CORE_ERROR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "absl/status/status.h"

namespace sexp {

// Byte offset meaning "no source position" (builder-made nodes, errors that
// concern no byte of the input, such as out-of-memory before reading began).
inline constexpr uint64_t kNoOffset = ~uint64_t{0};

// Every way reading or writing can fail. The kebab-case name (ErrorCodeName)
// is stable: spec/vectors and the Python bindings use it.
enum class ErrorCode : uint8_t {
  kOk = 0,
  kUnexpectedEof,       // input ended inside a list, string, escape or sugar
  kUnexpectedClose,     // a closer with no opener, or the wrong closer
  kInvalidNumber,       // a token that starts like a number but is not one
  kNumberOutOfRange,    // integer outside int64, or float overflowing double
  kInvalidEscape,       // unknown escape, or malformed \uXXXX
  kInvalidSurrogate,    // \u escape that is a lone surrogate
  kInvalidUtf8,         // bytes that are not UTF-8
  kInvalidCharacter,    // control character outside a string, or inside one
  kInvalidToken,        // unknown # form, lone ':', and the like
  kInvalidBase64,       // #b64"..." whose body is not padded standard base64
  kInvalidDict,         // odd number of elements, or a key that is neither
                        // keyword nor string
  kDuplicateKey,        // a key repeated in a dict / a keyword repeated among
                        // the keyword pairs of one list (writer)
  kDepthLimit,          // nesting deeper than ReadOptions::max_depth
  kSizeLimit,           // document larger than ReadOptions::max_size (offset
                        // = max_size, the first byte past the limit)
  kOutOfMemory,         // the upstream allocator refused
  kTrailingInput,       // ReadOne: more than one expression
  kEmptyInput,          // ReadOne: no expression at all
  kUnrepresentable,     // writer: NaN/infinity, or a name that cannot be read
                        // back (builder-made nodes only)
  kTimeout,             // HtmlToSx: parsing took longer than the timeout
  kFrameTooLarge,       // FrameDecoder: a frame over the maximum size
  kFrameTruncated,      // FrameDecoder: the stream ended inside a frame
  kBadVarint,           // FrameDecoder: a length not in its shortest varint form
  kBadMessage,          // ValidateMessage: not a message of the wire's vocabulary
  kSinkRefused,         // writers: the ByteSink refused the output (sink.h)
  kParserFailure,       // HtmlToSx: gumbo failed one of its own assertions
                        // on the input (the parse was abandoned)
};

// Stable kebab-case name, e.g. "unexpected-eof".
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kOk;
  uint64_t offset = kNoOffset;  // byte offset into the source, or kNoOffset
  uint32_t line = 0;            // 1-based; 0 when there is no position
  uint32_t column = 0;          // 1-based, counts bytes; 0 when none
  std::string message;          // says what was expected

  bool ok() const { return code == ErrorCode::kOk; }
  // "LINE:COL: code-name: message", or "code-name: message" without position.
  std::string ToString() const;
  // InvalidArgument for bad input, ResourceExhausted for limits and memory.
  absl::Status ToStatus() const;
};

// A value or an Error. Move-only when T is.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}       // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}   // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace sexp

#endif  // SEXP_CORE_ERROR_H_
