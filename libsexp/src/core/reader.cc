// The reader: one pass over the bytes, no recursion.
//
// Two stacks drive it. `values_` holds finished nodes that are waiting for
// their enclosing list to close; `frames_` holds one entry per open list,
// dict, sugar form (' ` , ,@) or datum comment (#;), remembering where its
// elements start in `values_`. Closing a list copies its elements out of
// `values_` into one contiguous array in the arena, so each node is written
// twice at most and a list's elements end up adjacent in memory. Sugar and
// datum-comment frames close themselves as soon as one datum completes inside
// them (see Complete()). Depth is the size of `frames_`, which is bounded by
// ReadOptions::max_depth, so hostile nesting costs heap, never stack.
//
// Strings are scanned once to find their end and validate them (UTF-8,
// control characters, escapes, surrogate pairs). A string without escapes
// becomes a view into the source; one with escapes is decoded, in a second
// pass that no longer needs to check anything, into an arena blob.
#include "sexp/core/reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/chars.h"
#include "core/decimal.h"
#include "core/intern.h"
#include "core/reader_paths.h"
#include "core/keys.h"
#include "core/scan.h"
#include "core/strutil.h"

namespace sexp {
namespace {

using internal::AV;
using internal::ClassOf;
using internal::kControl;
using internal::kDelimiter;
using internal::kDigit;
using internal::kHigh;
using internal::kSymbolChar;
using internal::kWhitespace;
using internal::LoadWord;
using internal::LowBytes;

// A growable array of trivially copyable T over the upstream allocator, so
// the reader's scratch memory is subject to the same hook (and failure
// injection) as the document.
template <class T>
class ScratchStack {
 public:
  explicit ScratchStack(const Allocator& upstream) : upstream_(upstream) {}
  ~ScratchStack() {
    if (data_ != nullptr) {
      upstream_.deallocate(upstream_.context, data_, cap_ * sizeof(T));
    }
  }
  ScratchStack(const ScratchStack&) = delete;
  ScratchStack& operator=(const ScratchStack&) = delete;

  [[gnu::always_inline]] bool push(const T& v) {
    if (__builtin_expect(size_ == cap_, 0) && !Grow()) return false;
    data_[size_++] = v;
    return true;
  }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }
  void pop() { --size_; }
  void truncate(size_t n) { size_ = n; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }

 private:
  [[gnu::noinline]] bool Grow() {
    size_t cap = cap_ == 0 ? 64 : cap_ * 2;
    auto* d = static_cast<T*>(upstream_.allocate(upstream_.context, cap * sizeof(T)));
    if (d == nullptr) return false;
    if (size_ > 0) std::memcpy(d, data_, size_ * sizeof(T));
    if (data_ != nullptr) {
      upstream_.deallocate(upstream_.context, data_, cap_ * sizeof(T));
    }
    data_ = d;
    cap_ = cap;
    return true;
  }

  Allocator upstream_;
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

enum class FrameType : uint8_t {
  kParen,
  kBracket,
  kBrace,
  kQuote,
  kQuasiquote,
  kUnquote,
  kUnquoteSplicing,
  kDatumComment,
};

struct Frame {
  uint32_t start;  // index in values_ of the frame's first element
  uint32_t pos;    // offset of the opener
  FrameType type;
};

bool IsSugar(FrameType t) {
  return t >= FrameType::kQuote && t <= FrameType::kUnquoteSplicing;
}

const char* OpenerText(FrameType t) {
  switch (t) {
    case FrameType::kParen: return "(";
    case FrameType::kBracket: return "[";
    case FrameType::kBrace: return "{";
    case FrameType::kQuote: return "'";
    case FrameType::kQuasiquote: return "`";
    case FrameType::kUnquote: return ",";
    case FrameType::kUnquoteSplicing: return ",@";
    case FrameType::kDatumComment: return "#;";
  }
  return "?";
}

char CloserFor(FrameType t) {
  switch (t) {
    case FrameType::kParen: return ')';
    case FrameType::kBracket: return ']';
    case FrameType::kBrace: return '}';
    default: return 0;
  }
}

constexpr int32_t kNotHex = -1;
constexpr int32_t kHexEof = -2;

// Value of the 4 hex digits at p; kNotHex if one is not a hex digit, or
// kHexEof if the input ends first (whichever comes first, reading left to
// right, so "\u1" at the end is truncation but "\u1\"" is a bad escape).
int32_t Hex4(const char* p, const char* end = nullptr) {
  int32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    if (end != nullptr && p + i >= end) return kHexEof;
    int d = internal::HexDigitValue(p[i]);
    if (d < 0) return kNotHex;
    v = v * 16 + d;
  }
  return v;
}

std::string Excerpt(std::string_view token) {
  if (token.size() <= 40) return std::string(token);
  return absl::StrCat(AV(token.substr(0, 37)), "...");
}

constexpr uint64_t kHardMaxSize = 0xFFFFFFFEu;  // node offsets are 32-bit

// The fast path reads whole words and 16-byte blocks at a token's start, so it
// stops this far before the end of the input and leaves the tail to the
// general loop.
constexpr ptrdiff_t kFastTail = 32;

#if defined(__SSE2__)
// Bit i set when byte i of the 16 at p ends a token: whitespace, controls and
// bytes >= 0x80 (all signed-less-than 0x21), DEL, and the delimiters
// " ' ( ) , ; [ ] ` { }. Twelve compares, no table: SSE2 has no byte shuffle.
inline uint32_t TokenStops16(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  auto eq = [&v](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
  __m128i stop = _mm_cmplt_epi8(v, _mm_set1_epi8(0x21));
  // ( and ) differ in the low bit; [ { and ] } differ in bit 5.
  stop = _mm_or_si128(stop, _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(1)),
                                           _mm_set1_epi8(')')));
  const __m128i folded = _mm_and_si128(v, _mm_set1_epi8(static_cast<char>(0xDF)));
  stop = _mm_or_si128(stop, _mm_or_si128(_mm_cmpeq_epi8(folded, _mm_set1_epi8('[')),
                                         _mm_cmpeq_epi8(folded, _mm_set1_epi8(']'))));
  stop = _mm_or_si128(stop, _mm_or_si128(_mm_or_si128(eq('"'), eq('\'')),
                                         _mm_or_si128(eq(','), eq(';'))));
  stop = _mm_or_si128(stop, _mm_or_si128(eq('`'), eq('\x7F')));
  return static_cast<uint32_t>(_mm_movemask_epi8(stop));
}
#endif

// kUtf8Checked: the whole input was validated as UTF-8 up front, so the scans
// need not look at bytes >= 0x80 (except for U+FEFF in tokens) and string
// bodies can be searched with the SIMD kernel. The other instantiation checks
// UTF-8 as it goes; it runs only for input that is not valid UTF-8, and it is
// what reports the first error in reading order.
//
// kSimd (validated input only, chosen at run time with the scan kernel):
// FastRun finds token ends 16 bytes at a time with SSE2; otherwise it walks
// them with the class table. See FAST_PATH.md.
template <bool kUtf8Checked, bool kSimd>
class Reader {
 public:
  Reader(const ReadOptions& options, const Allocator& upstream)
      : options_(options),
        doc_(upstream),
        values_(upstream),
        frames_(upstream),
        find_string_special_(internal::ActiveScanKernel().find_string_special) {}

  Result<Document> Run(std::string_view text, bool exactly_one);

 private:
  bool Parse();
  bool FastRun();
  bool Fail(ErrorCode code, uint64_t offset, std::string message);
  [[gnu::noinline, gnu::cold]] bool FailOom(const char* at) {
    return Fail(ErrorCode::kOutOfMemory, static_cast<uint64_t>(at - base_),
                "out of memory");
  }
  // 1-based line and byte column of `offset`; counted from the start, which
  // is fine because it only runs when reporting an error.
  std::pair<uint32_t, uint32_t> LineColumn(uint64_t offset) const;
  std::string Where(uint64_t offset) const {
    auto [line, column] = LineColumn(offset);
    return absl::StrCat(line, ":", column);
  }
  // Steps over the UTF-8 sequence at q (a byte >= 0x80, before `limit`).
  // Returns its end, or nullptr after failing with invalid-utf8 (`where` names
  // the construct). When the input was validated up front it steps one byte.
  const char* StepUtf8(const char* q, const char* limit, const char* where);
  uint32_t Offset(const char* p) const { return static_cast<uint32_t>(p - base_); }

  [[gnu::always_inline]] bool Open(FrameType type, const char* at) {
    if (frames_.size() >= options_.max_depth) return FailDepth(type, at);
    if (!frames_.push({static_cast<uint32_t>(values_.size()), Offset(at), type})) {
      return FailOom(at);
    }
    return true;
  }
  [[gnu::noinline, gnu::cold]] bool FailDepth(FrameType type, const char* at);
  bool Close(const char* at);
  // Closes the innermost frame, a ( or [ whose closer is at `at` (checked).
  [[gnu::always_inline]] bool CloseList(const char* at) {
    Frame top = frames_.back();
    const NodeSeq* seq = doc_.MakeSeq(
        absl::MakeConstSpan(values_.data() + top.start, values_.size() - top.start));
    if (seq == nullptr) return FailOom(at);
    values_.truncate(top.start);
    frames_.pop();
    return Complete(Node::MakeSeq(Kind::kList, seq, top.pos,
                                  top.type == FrameType::kBracket ? Node::kFlagSquare : 0));
  }
  // Is the innermost frame a sugar or datum-comment frame, waiting for one
  // datum?
  bool Waiting() const {
    return !frames_.empty() && frames_.back().type >= FrameType::kQuote;
  }
  // Pushes a datum where no frame waits for one (the fast loop's case).
  [[gnu::always_inline]] bool Push(Node node) {
    if (!values_.push(node)) return FailOom(p_);
    return true;
  }
  // Pushes a finished datum. Inline: it runs once per node, and almost always
  // inside a plain list, where there is nothing more to do.
  [[gnu::always_inline]] bool Complete(Node node) {
    if (!Push(node)) return false;
    return Waiting() ? CompleteWaiting() : true;
  }
  bool CompleteWaiting();
  // The atom for the name of n bytes at `name`, where 16 bytes are readable
  // (the fast loop's case): short names go straight to InternShort.
  [[gnu::always_inline]] const Atom* InternName(const char* name, size_t n) {
    if (n > 16) return doc_.Intern(std::string_view(name, n), end_);
    return doc_.interner().InternShort(doc_.arena(), name, n, LowBytes(LoadWord(name), n),
                                       n > 8 ? LowBytes(LoadWord(name + 8), n - 8) : 0);
  }
  bool CheckDict(const Node* items, size_t n, const char* closer);
  bool ReadString();
  bool ReadHash();
  bool ReadBytes(const char* hash);
  bool ReadToken();
  bool ReadNumber(std::string_view token);
  const Atom* SugarAtom(FrameType type);

  const ReadOptions& options_;
  Document doc_;
  ScratchStack<Node> values_;
  ScratchStack<Frame> frames_;
  const char* base_ = nullptr;
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  Error error_;
  const Atom* sugar_[4] = {nullptr, nullptr, nullptr, nullptr};
  internal::FindStringSpecialFn find_string_special_;
};

template <bool kUtf8Checked, bool kSimd>
std::pair<uint32_t, uint32_t> Reader<kUtf8Checked, kSimd>::LineColumn(uint64_t offset) const {
  uint32_t line = 1;
  const char* line_start = base_;
  const char* stop = base_ + offset;
  for (const char* p = base_; p < stop;) {
    const void* nl = std::memchr(p, '\n', static_cast<size_t>(stop - p));
    if (nl == nullptr) break;
    p = static_cast<const char*>(nl) + 1;
    line_start = p;
    ++line;
  }
  return {line, static_cast<uint32_t>(stop - line_start + 1)};
}

template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::Fail(ErrorCode code, uint64_t offset, std::string message) {
  error_.code = code;
  error_.offset = offset;
  error_.message = std::move(message);
  std::tie(error_.line, error_.column) = LineColumn(offset);
  return false;
}

template <bool kUtf8Checked, bool kSimd>
const char* Reader<kUtf8Checked, kSimd>::StepUtf8(const char* q, const char* limit,
                                           const char* where) {
  if constexpr (kUtf8Checked) return q + 1;
  size_t n = internal::Utf8SequenceLength(reinterpret_cast<const unsigned char*>(q),
                                          reinterpret_cast<const unsigned char*>(limit));
  if (n == 0) {
    Fail(ErrorCode::kInvalidUtf8, Offset(q), absl::StrCat("invalid UTF-8 in ", where));
    return nullptr;
  }
  return q + n;
}

template <bool kUtf8Checked, bool kSimd>
const Atom* Reader<kUtf8Checked, kSimd>::SugarAtom(FrameType type) {
  int i = static_cast<int>(type) - static_cast<int>(FrameType::kQuote);
  if (sugar_[i] == nullptr) {
    static constexpr std::string_view kNames[4] = {
        "quote", "quasiquote", "unquote", "unquote-splicing"};
    sugar_[i] = doc_.Intern(kNames[i]);
  }
  return sugar_[i];
}

template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::FailDepth(FrameType type, const char* at) {
  return Fail(ErrorCode::kDepthLimit, Offset(at),
              absl::StrCat("nesting deeper than the limit of ", options_.max_depth, " at '",
                           OpenerText(type), "'"));
}

// Lets any sugar or datum-comment frames that were waiting for exactly one
// datum close over the datum just pushed (the rare case; see Complete).
template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::CompleteWaiting() {
  while (!frames_.empty()) {
    Frame& top = frames_.back();
    if (top.type == FrameType::kDatumComment) {
      values_.pop();
      frames_.pop();
      return true;  // nothing completed: the datum was discarded
    }
    if (!IsSugar(top.type)) return true;
    const Atom* head = SugarAtom(top.type);
    if (head == nullptr) return FailOom(p_);
    Node pair[2] = {Node::MakeAtom(Kind::kSymbol, head, top.pos), values_.back()};
    const NodeSeq* seq = doc_.MakeSeq(pair);
    if (seq == nullptr) return FailOom(p_);
    values_.back() = Node::MakeSeq(Kind::kList, seq, top.pos, Node::kFlagSugar);
    frames_.pop();
  }
  return true;
}

template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::CheckDict(const Node* items, size_t n, const char* closer) {
  if (n % 2 != 0) {
    return Fail(ErrorCode::kInvalidDict, Offset(closer),
                absl::StrCat("expected a value for the last key before '}' (a "
                             "dict has ", n, " elements; it needs key, value pairs)"));
  }
  for (size_t i = 0; i < n; i += 2) {
    if (!items[i].is_keyword() && !items[i].is_string()) {
      return Fail(ErrorCode::kInvalidDict, items[i].raw_offset(base_),
                  absl::StrCat("expected a keyword or string as dict key, got a ",
                               AV(KindName(items[i].kind()))));
    }
  }
  size_t pairs = n / 2;
  size_t k = internal::FirstRepeatedKey(items, pairs, [](size_t i) { return 2 * i; });
  if (k == pairs) return true;
  const Node& key = items[2 * k];
  return Fail(ErrorCode::kDuplicateKey, key.raw_offset(base_),
              absl::StrCat("duplicate dict key ", key.is_keyword() ? ":" : "\"",
                           Excerpt(internal::KeyOf(key).second),
                           key.is_keyword() ? "" : "\""));
}

template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::Close(const char* at) {
  char c = *at;
  if (frames_.empty()) {
    return Fail(ErrorCode::kUnexpectedClose, Offset(at),
                absl::StrCat("'", std::string(1, c), "' has no matching opener"));
  }
  Frame top = frames_.back();
  char want = CloserFor(top.type);
  if (want == 0) {
    return Fail(ErrorCode::kUnexpectedClose, Offset(at),
                absl::StrCat("expected a datum after '", OpenerText(top.type),
                             "' at ", Where(top.pos), ", got '", std::string(1, c), "'"));
  }
  if (c != want) {
    return Fail(ErrorCode::kUnexpectedClose, Offset(at),
                absl::StrCat("expected '", std::string(1, want), "' to close '",
                             OpenerText(top.type), "' at ", Where(top.pos),
                             ", got '", std::string(1, c), "'"));
  }
  if (top.type != FrameType::kBrace) return CloseList(at);
  Node* items = values_.data() + top.start;
  size_t n = values_.size() - top.start;
  if (!CheckDict(items, n, at)) return false;
  const NodeSeq* seq = doc_.MakeSeq(absl::MakeConstSpan(items, n));
  if (seq == nullptr) return FailOom(at);
  values_.truncate(top.start);
  frames_.pop();
  return Complete(Node::MakeSeq(Kind::kDict, seq, top.pos));
}

template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::ReadString() {
  const char* open = p_;
  const char* q = p_ + 1;
  bool escapes = false;
  bool raw_controls = false;  // raw LF, TAB or CR: canonical text escapes them
  auto eof = [&] {
    return Fail(ErrorCode::kUnexpectedEof, Offset(end_),
                absl::StrCat("expected '\"' to close the string opened at ",
                             Where(Offset(open))));
  };
  for (;;) {
    if constexpr (kUtf8Checked) q = find_string_special_(q, end_);
    if (q >= end_) return eof();
    unsigned char c = static_cast<unsigned char>(*q);
    if (c == '"') break;
    if (c == '\\') {
      escapes = true;
      if (q + 1 >= end_) return eof();
      char e = q[1];
      if (e == '"' || e == '\\' || e == 'n' || e == 't' || e == 'r') {
        q += 2;
        continue;
      }
      if (e != 'u') {
        return Fail(ErrorCode::kInvalidEscape, Offset(q),
                    "expected one of \\\" \\\\ \\n \\t \\r \\uXXXX after '\\'");
      }
      int32_t cp = Hex4(q + 2, end_);
      if (cp == kHexEof) return eof();
      if (cp < 0) {
        return Fail(ErrorCode::kInvalidEscape, Offset(q),
                    "expected four hex digits after '\\u'");
      }
      if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return Fail(ErrorCode::kInvalidSurrogate, Offset(q),
                    "low surrogate \\u escape without a high surrogate before it");
      }
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        // Must be followed by a \u escape holding a low surrogate.
        const char* lo = q + 6;
        if (lo >= end_) return eof();
        if (lo[0] != '\\') {
          return Fail(ErrorCode::kInvalidSurrogate, Offset(q),
                      "high surrogate \\u escape must be followed by a low "
                      "surrogate \\u escape");
        }
        if (lo + 1 >= end_) return eof();
        if (lo[1] != 'u') {
          return Fail(ErrorCode::kInvalidSurrogate, Offset(q),
                      "high surrogate \\u escape must be followed by a low "
                      "surrogate \\u escape");
        }
        int32_t low = Hex4(lo + 2, end_);
        if (low == kHexEof) return eof();
        if (low < 0) {
          return Fail(ErrorCode::kInvalidEscape, Offset(lo),
                      "expected four hex digits after '\\u'");
        }
        if (low < 0xDC00 || low > 0xDFFF) {
          return Fail(ErrorCode::kInvalidSurrogate, Offset(q),
                      "high surrogate \\u escape must be followed by a low "
                      "surrogate \\u escape");
        }
        q += 12;
        continue;
      }
      q += 6;
      continue;
    }
    if (c < 0x20) {
      if (c == '\n' || c == '\t' || c == '\r') {
        raw_controls = true;
        ++q;
        continue;
      }
      return Fail(ErrorCode::kInvalidCharacter, Offset(q),
                  absl::StrFormat("control character 0x%02X in a string; "
                                  "expected it written as \\u%04x", c, c));
    }
    if (c >= 0x80) {
      q = StepUtf8(q, end_, "a string");
      if (q == nullptr) return false;
      continue;
    }
    ++q;
  }
  const char* body = open + 1;
  size_t raw_len = static_cast<size_t>(q - body);
  p_ = q + 1;
  if (!escapes) {
    return Complete(Node::MakeSourceString(body, static_cast<uint32_t>(raw_len),
                                           raw_controls ? 0 : Node::kFlagPlainString));
  }
  // Decode; everything was validated above. Escapes only ever shrink text.
  void* mem = doc_.arena().Allocate(sizeof(Blob) + raw_len);
  if (mem == nullptr) return FailOom(open);
  auto* blob = static_cast<Blob*>(mem);
  char* out = reinterpret_cast<char*>(blob + 1);
  size_t w = 0;
  for (const char* r = body; r < q;) {
    const char* bs = static_cast<const char*>(
        std::memchr(r, '\\', static_cast<size_t>(q - r)));
    const char* stop = bs == nullptr ? q : bs;
    std::memcpy(out + w, r, static_cast<size_t>(stop - r));
    w += static_cast<size_t>(stop - r);
    if (bs == nullptr) break;
    switch (bs[1]) {
      case '"': out[w++] = '"'; r = bs + 2; break;
      case '\\': out[w++] = '\\'; r = bs + 2; break;
      case 'n': out[w++] = '\n'; r = bs + 2; break;
      case 't': out[w++] = '\t'; r = bs + 2; break;
      case 'r': out[w++] = '\r'; r = bs + 2; break;
      default: {  // 'u'
        uint32_t cp = static_cast<uint32_t>(Hex4(bs + 2));
        r = bs + 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low = static_cast<uint32_t>(Hex4(bs + 8));
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          r = bs + 12;
        }
        w += internal::EncodeUtf8(cp, out + w);
        break;
      }
    }
  }
  blob->size = w;
  return Complete(Node::MakeBlobString(blob, Offset(open)));
}

template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::ReadBytes(const char* hash) {
  const char* body = hash + 5;  // after #b64"
  const char* close = static_cast<const char*>(
      std::memchr(body, '"', static_cast<size_t>(end_ - body)));
  if (close == nullptr) {
    return Fail(ErrorCode::kUnexpectedEof, Offset(end_),
                absl::StrCat("expected '\"' to close the #b64 string opened at ",
                             Where(Offset(hash))));
  }
  size_t len = static_cast<size_t>(close - body);
  void* mem = doc_.arena().Allocate(sizeof(Blob) + len / 4 * 3);
  if (mem == nullptr) return FailOom(hash);
  auto* blob = static_cast<Blob*>(mem);
  long n = internal::DecodeBase64Strict(std::string_view(body, len),
                                        reinterpret_cast<char*>(blob + 1));
  if (n < 0) {
    return Fail(ErrorCode::kInvalidBase64, Offset(hash),
                "expected padded standard base64 (A-Z a-z 0-9 + /, length a "
                "multiple of 4, '=' only at the end, unused bits zero)");
  }
  blob->size = static_cast<uint64_t>(n);
  p_ = close + 1;
  return Complete(Node::MakeBytes(blob, Offset(hash)));
}

template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::ReadHash() {
  const char* at = p_;
  if (at + 1 < end_ && at[1] == ';') {
    p_ += 2;
    return Open(FrameType::kDatumComment, at);
  }
  if (end_ - at >= 5 && std::memcmp(at, "#b64\"", 5) == 0) return ReadBytes(at);
  // #t / #f, which must end at a delimiter.
  const char* q = at + 1;
  while (q < end_ && (ClassOf(*q) & (kSymbolChar | kHigh))) ++q;
  std::string_view tok(at, static_cast<size_t>(q - at));
  if (tok == "#t" || tok == "#f") {
    p_ = q;
    return Complete(Node::MakeBool(tok[1] == 't', Offset(at), Node::kFlagHashBool));
  }
  return Fail(ErrorCode::kInvalidToken, Offset(at),
              absl::StrCat("unknown '#' form '", Excerpt(tok),
                           "'; expected #t, #f, #; or #b64\"...\""));
}

template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::ReadToken() {
  const char* start = p_;
  const char* q = p_;
  for (;;) {
    if (q >= end_) break;
    uint8_t cls = ClassOf(*q);
    if (cls & kSymbolChar) {
      ++q;
      continue;
    }
    if (cls & kHigh) {
      if (end_ - q >= 3 && internal::IsByteOrderMark(q)) {
        return Fail(ErrorCode::kInvalidCharacter, Offset(q),
                    "U+FEFF is not allowed in a symbol or keyword");
      }
      q = StepUtf8(q, end_, "a symbol or keyword");
      if (q == nullptr) return false;
      continue;
    }
    if (cls & kControl) {
      return Fail(ErrorCode::kInvalidCharacter, Offset(q),
                  absl::StrFormat("control character 0x%02X outside a string",
                                  static_cast<unsigned char>(*q)));
    }
    break;  // a delimiter
  }
  std::string_view tok(start, static_cast<size_t>(q - start));
  p_ = q;
  uint32_t pos = Offset(start);
  switch (internal::ClassifyToken(tok)) {
    case internal::TokenKind::kNumber:
      return ReadNumber(tok);
    case internal::TokenKind::kKeyword: {
      const Atom* a = doc_.Intern(tok.substr(1), end_);
      if (a == nullptr) return FailOom(start);
      return Complete(Node::MakeAtom(Kind::kKeyword, a, pos));
    }
    case internal::TokenKind::kInvalid:
      return Fail(ErrorCode::kInvalidToken, pos,
                  "expected a keyword name after ':'");
    case internal::TokenKind::kTrue:
      return Complete(Node::MakeBool(true, pos));
    case internal::TokenKind::kFalse:
      return Complete(Node::MakeBool(false, pos));
    case internal::TokenKind::kNil:
      return Complete(Node::MakeNil(pos));
    case internal::TokenKind::kSymbol: {
      const Atom* a = doc_.Intern(tok, end_);
      if (a == nullptr) return FailOom(start);
      return Complete(Node::MakeAtom(Kind::kSymbol, a, pos));
    }
  }
  return false;
}

template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::ReadNumber(std::string_view tok) {
  const char* s = tok.data();
  const char* e = s + tok.size();
  const char* q = s;
  uint32_t pos = Offset(s);
  auto invalid = [&] {
    return Fail(ErrorCode::kInvalidNumber, pos,
                absl::StrCat("expected a number like 12, -3, 0.5 or 2e10, got '",
                             Excerpt(tok), "'"));
  };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  bool neg = *q == '-';
  if (neg) ++q;
  const char* digits = q;
  if (*q == '0') {
    ++q;
  } else {
    while (q < e && digit(*q)) ++q;
  }
  const char* digits_end = q;
  bool is_float = false;
  const char* fraction = q;  // the digits after '.', if any (none: an empty run)
  const char* fraction_end = q;
  if (q < e && *q == '.') {
    is_float = true;
    ++q;
    if (q == e || !digit(*q)) return invalid();
    fraction = q;
    while (q < e && digit(*q)) ++q;
    fraction_end = q;
  }
  if (q < e && (*q == 'e' || *q == 'E')) {
    is_float = true;
    ++q;
    if (q < e && (*q == '+' || *q == '-')) ++q;
    if (q == e || !digit(*q)) return invalid();
    while (q < e && digit(*q)) ++q;
  }
  if (q != e) return invalid();

  if (!is_float) {
    size_t nd = static_cast<size_t>(digits_end - digits);
    bool overflow = nd > 19;
    uint64_t v = 0;
    if (!overflow) {
      v = internal::AppendDigits(0, digits, digits_end);
      overflow = v > (neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1);
    }
    if (overflow) {
      return Fail(ErrorCode::kNumberOutOfRange, pos,
                  absl::StrCat("integer '", Excerpt(tok),
                               "' is outside the 64-bit range"));
    }
    int64_t iv = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
    return Complete(Node::MakeInt(iv, pos));
  }

  if (fraction_end == e) {
    // A plain decimal, no exponent (prices, scores, coordinates), of at
    // most 19 digits (so at most 18 places) whose digits as an integer m
    // stay within 2^53: m and 10^places are exact doubles, so m / 10^places
    // — one correctly rounded IEEE division — is the correctly rounded
    // value (Clinger's fast path, which from_chars takes first too; here
    // without its call and its second scan of the text).
    const size_t int_digits = static_cast<size_t>(digits_end - digits);
    const size_t places = static_cast<size_t>(fraction_end - fraction);
    if (internal::kPlainDoubleArithmetic && int_digits + places <= 19) {
      const uint64_t m =
          internal::AppendDigits(internal::AppendDigits(0, digits, digits_end), fraction, fraction_end);
      if (m <= (uint64_t{1} << 53)) {
        double v = static_cast<double>(m) / internal::kExactPow10[places];
        return Complete(Node::MakeFloat(neg ? -v : v, pos));
      }
    }
  }

  double d = 0;
  auto r = std::from_chars(s, e, d);
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars reports both overflow and underflow; underflow is fine (the
    // value rounds to a subnormal or zero), overflow is not.
    std::string copy(tok);
    d = std::strtod(copy.c_str(), nullptr);
  } else if (r.ec != std::errc() || r.ptr != e) {
    return invalid();
  }
  if (!std::isfinite(d)) {
    return Fail(ErrorCode::kNumberOutOfRange, pos,
                absl::StrCat("number '", Excerpt(tok),
                             "' is too large for a 64-bit float"));
  }
  return Complete(Node::MakeFloat(d, pos));
}

// The common case without detours: ASCII tokens (symbols, keywords, plain
// integers, true/false/nil), strings without escapes, ( ) [ ] and {.
// Anything else — comments, sugar, '#', escapes, non-ASCII symbols, floats,
// dict closers, every error — returns to Parse with p_ at its first byte,
// and Parse reads it exactly as it would have without this loop. Runs only
// while the innermost open frame is a plain list or there is none (never a
// sugar or datum-comment frame waiting for one datum), so it pushes values
// without Complete's check.
template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::FastRun() {
  if constexpr (!kUtf8Checked) {
    return true;
  } else {
    const char* p = p_;
    const char* const stop = end_ - kFastTail;
    if (Waiting()) return true;
    while (p < stop) {
      unsigned char c = static_cast<unsigned char>(*p);
      if (ClassOf(static_cast<char>(c)) & kWhitespace) {
        ++p;
        continue;
      }
      const char* at = p;
      if (c == '"') {
        const char* q = find_string_special_(p + 1, end_);
        if (q >= end_ || *q != '"') break;  // escapes, controls, or unclosed
        p = q + 1;
        p_ = p;
        if (!Push(Node::MakeSourceString(at + 1, static_cast<uint32_t>(q - at - 1),
                                             Node::kFlagPlainString))) {
          return false;
        }
        continue;
      }
      if (c == '(' || c == '[' || c == '{') {
        ++p;
        FrameType type = c == '(' ? FrameType::kParen
                         : c == '[' ? FrameType::kBracket
                                    : FrameType::kBrace;
        if (!Open(type, at)) return false;
        continue;
      }
      if (c == ')' || c == ']') {
        if (frames_.empty() || CloserFor(frames_.back().type) != static_cast<char>(c)) break;
        ++p;
        p_ = p;
        if (!CloseList(at)) return false;
        // A datum comment that took this list can leave a sugar frame
        // waiting for the next datum: that one goes through Complete.
        if (Waiting()) break;
        continue;
      }
      if (!(ClassOf(static_cast<char>(c)) & kSymbolChar) || c == '#') break;

      // A token: find its end.
      const char* q = p + 1;
      if constexpr (kSimd) {
        for (;;) {
          uint32_t stops = TokenStops16(q);
          if (stops != 0) {
            q += __builtin_ctz(stops);
            break;
          }
          q += 16;
          if (q >= stop) break;
        }
      } else {
        while (q < stop && (ClassOf(*q) & kSymbolChar)) ++q;
      }
      // Only an ASCII delimiter ends a token here (a non-ASCII or control
      // byte goes to ReadToken, which checks U+FEFF and reports controls).
      if (q >= stop || !(ClassOf(*q) & kDelimiter)) break;
      size_t n = static_cast<size_t>(q - p);
      uint32_t pos = Offset(at);
      if (c == ':') {
        if (n == 1) break;  // lone ':' — ReadToken reports it
        const Atom* a = InternName(at + 1, n - 1);
        if (a == nullptr) return FailOom(at);
        p = q;
        p_ = p;
        if (!Push(Node::MakeAtom(Kind::kKeyword, a, pos))) return false;
        continue;
      }
      bool negative = c == '-';
      if ((c >= '0' && c <= '9') ||
          (negative && n > 1 && at[1] >= '0' && at[1] <= '9')) {
        // Plain integers of up to 18 digits cannot overflow; the rest
        // (floats, leading zeros, longer) go through ReadNumber.
        const char* d = at + negative;
        size_t nd = n - negative;
        bool plain = nd <= 18 && !(d[0] == '0' && nd > 1);
        uint64_t v = 0;
        for (size_t i = 0; plain && i < nd; ++i) {
          unsigned digit = static_cast<unsigned char>(d[i]) - '0';
          plain = digit <= 9;
          v = v * 10 + digit;
        }
        p = q;
        p_ = p;
        if (!plain) {
          if (!ReadNumber(std::string_view(at, n))) return false;
        } else if (!Push(Node::MakeInt(negative ? -static_cast<int64_t>(v)
                                                : static_cast<int64_t>(v), pos))) {
          return false;
        }
        continue;
      }
      // A symbol, or true / false / nil.
      uint64_t w0 = LowBytes(LoadWord(at), n);
      p = q;
      p_ = p;
      if (n <= 5) {
        constexpr uint64_t kTrue = 0x65757274;          // "true"
        constexpr uint64_t kFalse = 0x65736c6166;       // "false"
        constexpr uint64_t kNil = 0x6c696e;             // "nil"
        if (w0 == kTrue || w0 == kFalse) {
          if (!Push(Node::MakeBool(w0 == kTrue, pos))) return false;
          continue;
        }
        if (w0 == kNil) {
          if (!Push(Node::MakeNil(pos))) return false;
          continue;
        }
      }
      const Atom* a = InternName(at, n);
      if (a == nullptr) return FailOom(at);
      if (!Push(Node::MakeAtom(Kind::kSymbol, a, pos))) return false;
    }
    p_ = p;
    return true;
  }
}

template <bool kUtf8Checked, bool kSimd>
bool Reader<kUtf8Checked, kSimd>::Parse() {
  if (end_ - p_ >= 3 && internal::IsByteOrderMark(p_)) {
    return Fail(ErrorCode::kInvalidCharacter, 0,
                "a byte order mark is not allowed; sx text is plain UTF-8");
  }
  for (;;) {
    if constexpr (kUtf8Checked) {
      if (!FastRun()) return false;
    }
    // Whitespace and line comments.
    while (p_ < end_) {
      char c = *p_;
      if (ClassOf(c) & kWhitespace) {
        ++p_;
        continue;
      }
      if (c == ';') {
        const char* nl = static_cast<const char*>(
            std::memchr(p_, '\n', static_cast<size_t>(end_ - p_)));
        const char* stop = nl == nullptr ? end_ : nl;
        // Comments hold text like everything else: UTF-8, no control bytes.
        for (const char* q = p_; q < stop;) {
          uint8_t cls = ClassOf(*q);
          if (cls & kHigh) {
            q = StepUtf8(q, stop, "a comment");
            if (q == nullptr) return false;
          } else if (cls & kControl) {
            return Fail(ErrorCode::kInvalidCharacter, Offset(q),
                        absl::StrFormat("control character 0x%02X in a comment",
                                        static_cast<unsigned char>(*q)));
          } else {
            ++q;
          }
        }
        p_ = stop;
        continue;
      }
      break;
    }
    if (p_ >= end_) break;
    const char* at = p_;
    switch (*at) {
      case '(':
        ++p_;
        if (!Open(FrameType::kParen, at)) return false;
        break;
      case '[':
        ++p_;
        if (!Open(FrameType::kBracket, at)) return false;
        break;
      case '{':
        ++p_;
        if (!Open(FrameType::kBrace, at)) return false;
        break;
      case ')':
      case ']':
      case '}':
        ++p_;
        if (!Close(at)) return false;
        break;
      case '"':
        if (!ReadString()) return false;
        break;
      case '\'':
        ++p_;
        if (!Open(FrameType::kQuote, at)) return false;
        break;
      case '`':
        ++p_;
        if (!Open(FrameType::kQuasiquote, at)) return false;
        break;
      case ',':
        if (at + 1 < end_ && at[1] == '@') {
          p_ += 2;
          if (!Open(FrameType::kUnquoteSplicing, at)) return false;
        } else {
          ++p_;
          if (!Open(FrameType::kUnquote, at)) return false;
        }
        break;
      case '#':
        if (!ReadHash()) return false;
        break;
      default:
        if (!ReadToken()) return false;
        break;
    }
  }
  if (!frames_.empty()) {
    const Frame& top = frames_.back();
    char want = CloserFor(top.type);
    std::string expected =
        want != 0 ? absl::StrCat("expected '", std::string(1, want), "' to close '",
                                 OpenerText(top.type), "' opened at ", Where(top.pos))
                  : absl::StrCat("expected a datum after '", OpenerText(top.type),
                                 "' at ", Where(top.pos));
    return Fail(ErrorCode::kUnexpectedEof, Offset(end_), std::move(expected));
  }
  return true;
}

template <bool kUtf8Checked, bool kSimd>
Result<Document> Reader<kUtf8Checked, kSimd>::Run(std::string_view text, bool exactly_one) {
  uint64_t limit = std::min<uint64_t>(options_.max_size, kHardMaxSize);
  if (text.size() > limit) {
    base_ = text.data();  // for the line and column of the first byte past it
    Fail(ErrorCode::kSizeLimit, limit,
         absl::StrCat("document of ", text.size(), " bytes is larger than the limit of ", limit));
    return std::move(error_);
  }
  if (options_.copy_source) {
    if (!doc_.CopySource(text)) {
      return Error{ErrorCode::kOutOfMemory, kNoOffset, 0, 0, "out of memory"};
    }
  } else {
    doc_.BorrowSource(text);
  }
  base_ = doc_.source().data();
  p_ = base_;
  end_ = base_ + text.size();
  // Nodes take about as many bytes as the text they come from: start with a
  // slab that size, but no larger than the arena's largest growth slab (see
  // arena.cc on why huge slabs are slow).
  if (text.size() > (size_t{64} << 10)) {
    doc_.arena().ReserveHint(std::min(text.size() + text.size() / 4, size_t{4} << 20));
  }

  if (!Parse()) return std::move(error_);
  if (exactly_one && values_.size() != 1) {
    if (values_.empty()) {
      Fail(ErrorCode::kEmptyInput, Offset(end_), "expected an expression");
    } else {
      Fail(ErrorCode::kTrailingInput, values_.data()[1].raw_offset(base_),
           "expected the end of input after the first expression");
    }
    return std::move(error_);
  }
  if (!doc_.SetRoots(absl::MakeConstSpan(values_.data(), values_.size()))) {
    FailOom(end_);
    return std::move(error_);
  }
  return std::move(doc_);
}

}  // namespace

namespace {

template <bool kUtf8Checked, bool kSimd>
Result<Document> RunReader(std::string_view text, const ReadOptions& options,
                           bool exactly_one) {
  const Allocator& upstream = options.allocator ? *options.allocator : DefaultAllocator();
  Reader<kUtf8Checked, kSimd> reader(options, upstream);
  return reader.Run(text, exactly_one);
}

Result<Document> RunPath(internal::ReaderPath path, std::string_view text,
                         const ReadOptions& options, bool exactly_one) {
  switch (path) {
    case internal::ReaderPath::kChecking:
      break;
    case internal::ReaderPath::kValidated:
      return RunReader<true, false>(text, options, exactly_one);
    case internal::ReaderPath::kValidatedSimd:
#if defined(__SSE2__)
      return RunReader<true, true>(text, options, exactly_one);
#else
      return RunReader<true, false>(text, options, exactly_one);
#endif
  }
  return RunReader<false, false>(text, options, exactly_one);
}

Result<Document> ReadImpl(std::string_view text, const ReadOptions& options,
                          bool exactly_one) {
  using internal::ReaderPath;
  bool within_limit = text.size() <= std::min<uint64_t>(options.max_size, kHardMaxSize);
  ReaderPath path = ReaderPath::kChecking;
  if (within_limit && internal::IsValidUtf8Fast(text)) {
    path = internal::ActiveScanKernel().simd_tokens ? ReaderPath::kValidatedSimd
                                                    : ReaderPath::kValidated;
  }
  return RunPath(path, text, options, exactly_one);
}

}  // namespace

Result<Document> Read(std::string_view text, const ReadOptions& options) {
  return ReadImpl(text, options, /*exactly_one=*/false);
}

Result<Document> ReadOne(std::string_view text, const ReadOptions& options) {
  return ReadImpl(text, options, /*exactly_one=*/true);
}

namespace internal {

Result<Document> ReadVia(ReaderPath path, std::string_view text, const ReadOptions& options) {
  return RunPath(path, text, options, /*exactly_one=*/false);
}

namespace {

// Where two documents read from the same text differ; empty if they do not.
std::string FirstDifference(const Document& a, const Document& b) {
  struct Pair {
    absl::Span<const Node> x, y;
  };
  std::vector<Pair> stack{{a.roots(), b.roots()}};
  while (!stack.empty()) {
    Pair pair = stack.back();
    stack.pop_back();
    if (pair.x.size() != pair.y.size()) {
      return absl::StrCat("element counts differ: ", pair.x.size(), " vs ", pair.y.size());
    }
    for (size_t i = 0; i < pair.x.size(); ++i) {
      const Node& x = pair.x[i];
      const Node& y = pair.y[i];
      uint32_t offset = x.raw_offset(a.source().data());
      if (offset != y.raw_offset(b.source().data()) || x.kind() != y.kind() ||
          x.flags() != y.flags()) {
        return absl::StrCat("node at offset ", offset, " differs in kind, flags or offset");
      }
      if (x.is_list() || x.is_dict()) {
        stack.push_back({x.items(), y.items()});
      } else if (!Equal(x, y)) {
        return absl::StrCat("node at offset ", offset, " differs in value");
      }
    }
  }
  return {};
}

}  // namespace

std::string ReaderPathsDisagree(std::string_view text, const ReadOptions& options) {
  if (!IsValidUtf8Fast(text)) return {};
  Result<Document> ref = ReadVia(ReaderPath::kChecking, text, options);
  for (ReaderPath path : {ReaderPath::kValidated, ReaderPath::kValidatedSimd}) {
    Result<Document> got = ReadVia(path, text, options);
    std::string which = absl::StrCat("path ", static_cast<int>(path), ": ");
    if (got.ok() != ref.ok()) {
      return absl::StrCat(which, got.ok() ? "read" : "failed", " where the checking path ",
                          ref.ok() ? "read" : "failed");
    }
    if (!ref.ok() && got.error().ToString() != ref.error().ToString()) {
      return absl::StrCat(which, "error '", got.error().ToString(), "' instead of '",
                          ref.error().ToString(), "'");
    }
    if (ref.ok()) {
      std::string difference = FirstDifference(*ref, *got);
      if (!difference.empty()) return which + difference;
    }
  }
  return {};
}

}  // namespace internal
}  // namespace sexp
