// sexp/core/ast.h — the arena AST: Node values, the Document that owns them, and a
// Builder for making documents in code.
//
// A Node is a 16-byte value: a kind, a little metadata and one word of payload
// (an integer, a double, or a pointer into the document's arena). Lists and
// dicts keep their elements contiguously, so walking is a loop over a span.
//
//   sexp::Result<sexp::Document> doc = sexp::Read("(p :class \"x\" \"hi\")");
//   const sexp::Node& p = doc->roots()[0];
//   p.kind();                 // Kind::kList
//   p[0].name();              // "p"        (symbol)
//   p[1].name();              // "class"    (keyword, without the ':')
//   p[2].str();               // "x"
//   doc->position(p[3]);      // {line 1, column 15, offset 14}
//
// Ownership: a Document owns its Arena, and with it every Node, string, atom
// and element array reachable from its roots. Nodes, spans and string_views
// taken from a document are views, valid while that Document lives (moving a
// Document keeps them valid; destroying or resetting it does not). A document
// read with ReadOptions::copy_source = false also borrows the caller's text,
// which must then outlive it. Documents are immutable once read or built, and
// safe to read from several threads at once.
#ifndef SEXP_CORE_AST_H_
#define SEXP_CORE_AST_H_

#include <atomic>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "absl/types/span.h"
#include "sexp/core/arena.h"
#include "sexp/core/error.h"

namespace sexp {

enum class Kind : uint8_t {
  kNil,
  kBool,
  kInt,      // int64
  kFloat,    // IEEE double, always finite
  kString,   // UTF-8 text, escapes resolved
  kBytes,    // #b64"..."
  kSymbol,
  kKeyword,  // :name (the name excludes the colon)
  kList,     // ( ) or [ ]
  kDict,     // { } — elements alternate key, value
};

std::string_view KindName(Kind kind);  // "nil", "bool", ..., "dict"

// An interned name. Within one Document, equal names are the same Atom, so
// symbols and keywords compare by pointer.
struct Atom {
  uint32_t size;
  uint32_t hash;
  // `size` bytes of name follow the struct (not NUL-terminated), then zero
  // bytes up to a multiple of 8 and to 16 bytes at least: the 16 bytes from
  // name().data() are always readable, zero past the name (the interner
  // compares and the writer copies names in whole words).
  std::string_view name() const {
    return {reinterpret_cast<const char*>(this + 1), size};
  }
};

// Length-prefixed bytes in the arena (escaped strings, byte strings).
struct Blob {
  uint64_t size;
  std::string_view view() const {
    return {reinterpret_cast<const char*>(this + 1), static_cast<size_t>(size)};
  }
};

// Header of a list's or dict's element array; the Nodes follow it.
struct NodeSeq;

class Node {
 public:
  // Flags (bit set in flags()).
  static constexpr uint8_t kFlagSquare = 1;       // list written with [ ]
  static constexpr uint8_t kFlagSugar = 2;        // list read from ' ` , ,@
  static constexpr uint8_t kFlagSourceString = 4; // string bytes in source
  static constexpr uint8_t kFlagHashBool = 8;     // bool written #t / #f
  // String whose text has no byte the canonical form escapes ('"', '\\',
  // controls), so its canonical text is the text between quotes. Set by the
  // reader; a string without it is scanned when written.
  static constexpr uint8_t kFlagPlainString = 16;

  Node() : kind_(Kind::kNil), flags_(0), reserved_(0), meta_(kNoPos32) {
    u_.i = 0;
  }

  Kind kind() const { return kind_; }
  uint8_t flags() const { return flags_; }
  bool is_nil() const { return kind_ == Kind::kNil; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_bytes() const { return kind_ == Kind::kBytes; }
  bool is_symbol() const { return kind_ == Kind::kSymbol; }
  bool is_keyword() const { return kind_ == Kind::kKeyword; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  // Symbol named `name`?
  bool is_symbol(std::string_view name) const {
    return is_symbol() && u_.atom->name() == name;
  }

  // Accessors; each requires the matching kind.
  bool as_bool() const { return u_.i != 0; }
  int64_t as_int() const { return u_.i; }
  double as_float() const { return u_.d; }
  // Text of a string (escapes resolved).
  std::string_view str() const {
    if (flags_ & kFlagSourceString) return {u_.chars, meta_};
    return u_.blob->view();
  }
  // Decoded bytes of a byte string.
  std::string_view bytes() const { return u_.blob->view(); }
  // Name of a symbol or keyword (keywords without the ':').
  std::string_view name() const { return u_.atom->name(); }
  const Atom* atom() const { return u_.atom; }
  // Elements of a list, or the flattened key, value, key, value of a dict.
  absl::Span<const Node> items() const;
  size_t size() const { return items().size(); }
  const Node& operator[](size_t i) const { return items()[i]; }

  // Constructors used by the reader and the Builder. Prefer the Builder.
  static Node MakeNil(uint32_t pos) { return Node(Kind::kNil, 0, pos); }
  static Node MakeBool(bool b, uint32_t pos, uint8_t flags = 0) {
    Node n(Kind::kBool, flags, pos);
    n.u_.i = b;
    return n;
  }
  static Node MakeInt(int64_t v, uint32_t pos) {
    Node n(Kind::kInt, 0, pos);
    n.u_.i = v;
    return n;
  }
  static Node MakeFloat(double v, uint32_t pos) {
    Node n(Kind::kFloat, 0, pos);
    n.u_.d = v;
    return n;
  }
  // A string whose bytes sit in the source at `chars` (zero-copy); its
  // position is derived from `chars`, so it stores the length instead.
  static Node MakeSourceString(const char* chars, uint32_t size, uint8_t flags = 0) {
    Node n(Kind::kString, kFlagSourceString | flags, size);
    n.u_.chars = chars;
    return n;
  }
  static Node MakeBlobString(const Blob* blob, uint32_t pos) {
    Node n(Kind::kString, 0, pos);
    n.u_.blob = blob;
    return n;
  }
  static Node MakeBytes(const Blob* blob, uint32_t pos) {
    Node n(Kind::kBytes, 0, pos);
    n.u_.blob = blob;
    return n;
  }
  static Node MakeAtom(Kind kind, const Atom* atom, uint32_t pos) {
    Node n(kind, 0, pos);
    n.u_.atom = atom;
    return n;
  }
  static Node MakeSeq(Kind kind, const NodeSeq* seq, uint32_t pos,
                      uint8_t flags = 0) {
    Node n(kind, flags, pos);
    n.u_.seq = seq;
    return n;
  }

  // Raw source offset of the node, or kNoPos32. Strings read zero-copy derive
  // it from their bytes; use Document::position() for line and column.
  static constexpr uint32_t kNoPos32 = ~uint32_t{0};
  uint32_t raw_offset(const char* source_begin) const;

 private:
  Node(Kind kind, uint8_t flags, uint32_t meta)
      : kind_(kind), flags_(flags), reserved_(0), meta_(meta) {
    u_.i = 0;
  }

  Kind kind_;
  uint8_t flags_;
  [[maybe_unused]] uint16_t reserved_;  // reserved
  // Source offset of the node's first byte, except for source strings, where
  // it is the string's byte length.
  uint32_t meta_;
  union {
    int64_t i;
    double d;
    const char* chars;
    const Blob* blob;
    const Atom* atom;
    const NodeSeq* seq;
  } u_;
};
static_assert(sizeof(Node) == 16, "Node must stay 16 bytes");

struct NodeSeq {
  uint64_t size;
  const Node* data() const { return reinterpret_cast<const Node*>(this + 1); }
  static const NodeSeq* Empty();
};

inline absl::Span<const Node> Node::items() const {
  return {u_.seq->data(), static_cast<size_t>(u_.seq->size)};
}

struct Position {
  uint64_t offset = kNoOffset;  // byte offset, kNoOffset when none
  uint32_t line = 0;            // 1-based; 0 when none
  uint32_t column = 0;          // 1-based byte column; 0 when none
  bool known() const { return offset != kNoOffset; }
};

// Open-addressing set of the Atoms of one Document (an implementation detail
// of Document, public only so Document can hold it by value). Its table comes
// from the upstream allocator; its atoms from the document's arena.
class Interner {
 public:
  explicit Interner(const Allocator& upstream) : upstream_(upstream) {}
  ~Interner();
  Interner(Interner&& other) noexcept;
  Interner& operator=(Interner&& other) noexcept;

  // The atom named `name`, made in `arena` if new; nullptr when out of memory.
  // The bytes from name.data() up to `readable_end` (>= the end of name) may
  // be read, which lets the hash and compare load whole words.
  const Atom* Intern(Arena& arena, std::string_view name, const char* readable_end);
  // Intern for a name of 1..16 bytes already loaded as two little-endian
  // words (bytes past the name zero; w1 == 0 when n <= 8). Intern's path for
  // such names; inline, defined in the library's src/core/intern.h, so the
  // reader's fast loop calls it directly.
  inline const Atom* InternShort(Arena& arena, const char* name, size_t n,
                                 uint64_t w0, uint64_t w1);
  // The atom named `name` if it is here, else nullptr (nothing is added).
  const Atom* Find(std::string_view name) const;
  // An atom named `name` made in `arena` and kept by no interner (so a
  // pointer compare with interned atoms says nothing about their names);
  // nullptr when out of memory.
  static const Atom* NewUninterned(Arena& arena, std::string_view name);
  size_t size() const { return size_; }
  // Bytes of its table (the atoms themselves are in the arena).
  size_t table_bytes() const { return capacity_ * sizeof(const Atom*); }

 private:
  bool Grow();
  // Adds the atom `name` with hash `hash` (known to be absent).
  const Atom* Insert(Arena& arena, const char* name, size_t n, uint32_t hash);
  Allocator upstream_;
  const Atom** slots_ = nullptr;
  size_t capacity_ = 0;  // power of two, or 0
  size_t size_ = 0;
};

// A document: an arena, the interned atoms, optionally a copy of the source,
// and a sequence of root nodes. Move-only.
class Document {
 public:
  explicit Document(const Allocator& upstream = DefaultAllocator());
  ~Document();
  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;

  // The top-level expressions, in source order.
  absl::Span<const Node> roots() const {
    return {roots_->data(), static_cast<size_t>(roots_->size)};
  }
  // The source text this document was read from (empty when built).
  std::string_view source() const { return source_; }
  // Where `node` (which must belong to this document) starts in the source.
  Position position(const Node& node) const;
  // Line and column of a byte offset into source().
  Position PositionOfOffset(uint64_t offset) const;
  // Fills in error->line and error->column from error->offset (writers report
  // only offsets, since a Node does not know its document).
  void Locate(Error* error) const;

  Arena& arena() { return arena_; }
  ArenaStats arena_stats() const { return arena_.stats(); }
  // Number of distinct symbol/keyword names.
  size_t atom_count() const { return interner_.size(); }

  // Building blocks for the reader and the Builder; each returns nullptr on
  // allocation failure.
  const Atom* Intern(std::string_view name) {
    return interner_.Intern(arena_, name, name.data() + name.size());
  }
  // Same, where the caller guarantees bytes up to readable_end are readable
  // (the reader passes the end of the source).
  const Atom* Intern(std::string_view name, const char* readable_end) {
    return interner_.Intern(arena_, name, readable_end);
  }
  Interner& interner() { return interner_; }
  inline const NodeSeq* MakeSeq(absl::Span<const Node> items);
  const Blob* MakeBlob(std::string_view bytes);
  // Sets the roots (copied into the arena). False on allocation failure.
  bool SetRoots(absl::Span<const Node> roots);
  // Copies `text` into the arena and makes it source(). False on failure.
  bool CopySource(std::string_view text);
  void BorrowSource(std::string_view text) { source_ = text; }

 private:
  struct LineIndex;
  const LineIndex* Lines() const;

  Arena arena_;
  Interner interner_;
  std::string_view source_;
  const NodeSeq* roots_;
  // Offsets of line starts, built on first position() and published once.
  mutable std::atomic<const LineIndex*> lines_{nullptr};
};

// Inline: the reader makes one per list. Nodes are copied two at a time
// (most lists are short, and a memcpy call per list cost more than the copy).
inline const NodeSeq* Document::MakeSeq(absl::Span<const Node> items) {
  size_t n = items.size();
  if (n == 0) return NodeSeq::Empty();
  void* mem = arena_.Allocate(sizeof(NodeSeq) + n * sizeof(Node));
  if (mem == nullptr) return nullptr;
  auto* seq = static_cast<NodeSeq*>(mem);
  seq->size = n;
  char* out = reinterpret_cast<char*>(seq + 1);
  const char* in = reinterpret_cast<const char*>(items.data());
  size_t i = 0;
  for (; i + 2 <= n; i += 2) std::memcpy(out + i * sizeof(Node), in + i * sizeof(Node), 2 * sizeof(Node));
  if (i < n) std::memcpy(out + i * sizeof(Node), in + i * sizeof(Node), sizeof(Node));
  return seq;
}

// Builds a Document in code. Invalid input (a symbol name that would not read
// back, a non-finite float, a dict with a non-key) records the first error and
// yields a nil node; Finish() reports it. Nodes made by one Builder belong to
// its document and must not be mixed into another.
//
//   sexp::Builder b;
//   sexp::Node card = b.List({b.Symbol("Note"), b.Keyword("id"), b.Int(7),
//                             b.String("hello")});
//   sexp::Result<sexp::Document> doc = b.Finish({card});
class Builder {
 public:
  explicit Builder(const Allocator& upstream = DefaultAllocator());

  Node Nil() { return Node::MakeNil(Node::kNoPos32); }
  Node Bool(bool b) { return Node::MakeBool(b, Node::kNoPos32); }
  Node Int(int64_t v) { return Node::MakeInt(v, Node::kNoPos32); }
  Node Float(double v);
  Node String(std::string_view utf8);
  Node Bytes(std::string_view bytes);
  Node Symbol(std::string_view name);
  Node Keyword(std::string_view name);  // without the ':'
  Node List(absl::Span<const Node> items);
  Node List(std::initializer_list<Node> items) {
    return List(absl::MakeConstSpan(items.begin(), items.size()));
  }
  // Alternating key, value; keys must be keywords or strings.
  Node Dict(absl::Span<const Node> items);
  Node Dict(std::initializer_list<Node> items) {
    return Dict(absl::MakeConstSpan(items.begin(), items.size()));
  }

  const Error& error() const { return error_; }
  // The document with `roots`, or the first error recorded.
  Result<Document> Finish(absl::Span<const Node> roots);
  Result<Document> Finish(std::initializer_list<Node> roots) {
    return Finish(absl::MakeConstSpan(roots.begin(), roots.size()));
  }

 private:
  Node Fail(ErrorCode code, std::string message);
  Document doc_;
  Error error_;
};

// True if `name` reads back as a symbol with that name (non-empty, valid
// UTF-8, no delimiters or control characters, not a number or a literal).
bool IsValidSymbolName(std::string_view name);
// True if ":" + name reads back as that keyword.
bool IsValidKeywordName(std::string_view name);

// Structural equality (kinds, values, names; lists and dicts in order; flags
// and positions ignored). Floats compare by bits.
bool Equal(const Node& a, const Node& b);

}  // namespace sexp

#endif  // SEXP_CORE_AST_H_
