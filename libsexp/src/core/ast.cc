// Document, Interner, Builder and the small pieces of the AST that are not
// inline in ast.h.
#include "sexp/core/ast.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "core/chars.h"
#include "core/intern.h"

namespace sexp {

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kNil: return "nil";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "string";
    case Kind::kBytes: return "bytes";
    case Kind::kSymbol: return "symbol";
    case Kind::kKeyword: return "keyword";
    case Kind::kList: return "list";
    case Kind::kDict: return "dict";
  }
  return "?";
}

const NodeSeq* NodeSeq::Empty() {
  static const NodeSeq kEmpty{0};
  return &kEmpty;
}

uint32_t Node::raw_offset(const char* source_begin) const {
  if (flags_ & kFlagSourceString) {
    return static_cast<uint32_t>(u_.chars - 1 - source_begin);
  }
  return meta_;
}

// ---------------------------------------------------------------------------
// Interner: linear probing over a power-of-two table of Atom pointers. The
// 32-bit hash is stored in each Atom, so probes compare hashes before bytes
// and growth never rehashes names.

namespace internal {
const uint64_t kNameHashSeed = [] {
  uint64_t local = 0;
  return absl::HashOf(&local, reinterpret_cast<uintptr_t>(&kNameHashSeed)) | 1;
}();
}  // namespace internal

namespace {

using internal::MixWords;

// The first n (<= 8) bytes at p as a little-endian word, upper bytes zero.
// One load when 8 bytes are readable there, else byte by byte.
inline uint64_t LoadPartialWord(const char* p, size_t n, const char* readable_end) {
  if (n == 0) return 0;
  if (readable_end - p >= 8) return internal::LowBytes(internal::LoadWord(p), n);
  uint64_t w = 0;
  for (size_t i = 0; i < n; ++i) w |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return w;
}

// Names longer than 16 bytes (short ones go through InternShort) fold 8
// bytes per multiply.
inline uint32_t HashLongName(const char* p, size_t n, const char* readable_end) {
  uint64_t h = internal::kNameHashSeed ^ (n * 0x9E3779B97F4A7C15ull);
  while (n >= 8) {
    h = MixWords(h ^ internal::LoadWord(p), 0xBF58476D1CE4E5B9ull);
    p += 8;
    n -= 8;
  }
  if (n > 0) h = MixWords(h ^ LoadPartialWord(p, n, readable_end), 0x94D049BB133111EBull);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

// Does the atom's name equal the n bytes at p? The atom's allocation is
// rounded up to 8 bytes with its padding zeroed, so its last word can be
// loaded whole and compared with the masked tail of p.
inline bool SameName(const Atom* a, const char* p, size_t n, const char* readable_end) {
  const char* q = reinterpret_cast<const char*>(a + 1);
  while (n >= 8) {
    uint64_t x, y;
    std::memcpy(&x, q, 8);
    std::memcpy(&y, p, 8);
    if (x != y) return false;
    p += 8;
    q += 8;
    n -= 8;
  }
  if (n == 0) return true;
  uint64_t x;
  std::memcpy(&x, q, 8);
  return x == LoadPartialWord(p, n, readable_end);
}

}  // namespace

Interner::~Interner() {
  if (slots_ != nullptr) {
    upstream_.deallocate(upstream_.context, slots_,
                         capacity_ * sizeof(const Atom*));
  }
}

Interner::Interner(Interner&& other) noexcept
    : upstream_(other.upstream_),
      slots_(std::exchange(other.slots_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)) {}

Interner& Interner::operator=(Interner&& other) noexcept {
  if (this != &other) {
    this->~Interner();
    new (this) Interner(std::move(other));
  }
  return *this;
}

bool Interner::Grow() {
  size_t cap = capacity_ == 0 ? 64 : capacity_ * 2;
  auto** slots = static_cast<const Atom**>(
      upstream_.allocate(upstream_.context, cap * sizeof(const Atom*)));
  if (slots == nullptr) return false;
  std::memset(slots, 0, cap * sizeof(const Atom*));
  for (size_t i = 0; i < capacity_; ++i) {
    const Atom* a = slots_[i];
    if (a == nullptr) continue;
    size_t j = a->hash & (cap - 1);
    while (slots[j] != nullptr) j = (j + 1) & (cap - 1);
    slots[j] = a;
  }
  if (slots_ != nullptr) {
    upstream_.deallocate(upstream_.context, slots_,
                         capacity_ * sizeof(const Atom*));
  }
  slots_ = slots;
  capacity_ = cap;
  return true;
}

const Atom* Interner::Intern(Arena& arena, std::string_view name,
                             const char* readable_end) {
  const char* p = name.data();
  size_t n = name.size();
  if (n >= 1 && n <= 16) {
    size_t n0 = n < 8 ? n : 8;
    return InternShort(arena, p, n, LoadPartialWord(p, n0, readable_end),
                       LoadPartialWord(p + n0, n - n0, readable_end));
  }
  uint32_t h = HashLongName(p, n, readable_end);
  if (capacity_ != 0) {
    size_t mask = capacity_ - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Atom* a = slots_[i];
      if (a == nullptr) break;
      if (a->hash == h && a->size == n && SameName(a, p, n, readable_end)) return a;
    }
  }
  return Insert(arena, p, n, h);
}

namespace {

// The hash Intern gives `name` (which may be read only within its bounds).
uint32_t NameHash(std::string_view name) {
  const char* p = name.data();
  size_t n = name.size();
  const char* end = p + n;
  if (n >= 1 && n <= 16) {
    size_t n0 = n < 8 ? n : 8;
    return internal::HashShortName(LoadPartialWord(p, n0, end), LoadPartialWord(p + n0, n - n0, end), n);
  }
  return HashLongName(p, n, end);
}

// A new atom in `arena`: header, name, and zeroed padding to the next
// multiple of 8, 16 bytes of name at least (ast.h: short names compare as
// whole words, and writers copy them as one 16-byte block).
Atom* NewAtom(Arena& arena, const char* name, size_t n, uint32_t hash) {
  size_t bytes = sizeof(Atom) + std::max<size_t>(16, (n + 7) & ~size_t{7});
  void* mem = arena.Allocate(bytes);
  if (mem == nullptr) return nullptr;
  auto* atom = static_cast<Atom*>(mem);
  std::memset(static_cast<char*>(mem) + bytes - 16, 0, 16);
  atom->size = static_cast<uint32_t>(n);
  atom->hash = hash;
  if (n > 0) std::memcpy(atom + 1, name, n);
  return atom;
}

}  // namespace

const Atom* Interner::Find(std::string_view name) const {
  if (capacity_ == 0) return nullptr;
  uint32_t h = NameHash(name);
  size_t mask = capacity_ - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Atom* a = slots_[i];
    if (a == nullptr) return nullptr;
    if (a->hash == h && a->name() == name) return a;
  }
}

const Atom* Interner::NewUninterned(Arena& arena, std::string_view name) {
  return NewAtom(arena, name.data(), name.size(), NameHash(name));
}

const Atom* Interner::Insert(Arena& arena, const char* name, size_t n, uint32_t hash) {
  // Keep the load factor at or below 1/2.
  if ((size_ + 1) * 2 > capacity_ && !Grow()) return nullptr;
  size_t mask = capacity_ - 1;
  size_t i = hash & mask;
  while (slots_[i] != nullptr) i = (i + 1) & mask;
  Atom* atom = NewAtom(arena, name, n, hash);
  if (atom == nullptr) return nullptr;
  slots_[i] = atom;
  ++size_;
  return atom;
}

// ---------------------------------------------------------------------------
// Document

struct Document::LineIndex {
  std::vector<uint64_t> starts;  // offset of the first byte of each line
};

Document::Document(const Allocator& upstream)
    : arena_(upstream), interner_(upstream), roots_(NodeSeq::Empty()) {}

Document::~Document() { delete lines_.load(std::memory_order_acquire); }

Document::Document(Document&& other) noexcept
    : arena_(std::move(other.arena_)),
      interner_(std::move(other.interner_)),
      source_(std::exchange(other.source_, {})),
      roots_(std::exchange(other.roots_, NodeSeq::Empty())),
      lines_(other.lines_.exchange(nullptr)) {}

Document& Document::operator=(Document&& other) noexcept {
  if (this != &other) {
    this->~Document();
    new (this) Document(std::move(other));
  }
  return *this;
}

const Document::LineIndex* Document::Lines() const {
  const LineIndex* have = lines_.load(std::memory_order_acquire);
  if (have != nullptr) return have;
  auto* built = new LineIndex;
  built->starts.push_back(0);
  const char* b = source_.data();
  const char* e = b + source_.size();
  for (const char* p = b; p < e;) {
    const void* nl = std::memchr(p, '\n', static_cast<size_t>(e - p));
    if (nl == nullptr) break;
    p = static_cast<const char*>(nl) + 1;
    built->starts.push_back(static_cast<uint64_t>(p - b));
  }
  const LineIndex* expected = nullptr;
  if (lines_.compare_exchange_strong(expected, built,
                                     std::memory_order_acq_rel)) {
    return built;
  }
  delete built;  // another thread published first
  return expected;
}

Position Document::PositionOfOffset(uint64_t offset) const {
  Position pos;
  if (offset == kNoOffset || offset > source_.size()) return pos;
  const auto& starts = Lines()->starts;
  auto it = std::upper_bound(starts.begin(), starts.end(), offset);
  size_t line = static_cast<size_t>(it - starts.begin());  // 1-based
  pos.offset = offset;
  pos.line = static_cast<uint32_t>(line);
  pos.column = static_cast<uint32_t>(offset - starts[line - 1] + 1);
  return pos;
}

Position Document::position(const Node& node) const {
  uint32_t off = node.raw_offset(source_.data());
  if (off == Node::kNoPos32) return {};
  return PositionOfOffset(off);
}

void Document::Locate(Error* error) const {
  Position p = PositionOfOffset(error->offset);
  error->line = p.line;
  error->column = p.column;
}

const Blob* Document::MakeBlob(std::string_view bytes) {
  void* mem = arena_.Allocate(sizeof(Blob) + bytes.size());
  if (mem == nullptr) return nullptr;
  auto* blob = static_cast<Blob*>(mem);
  blob->size = bytes.size();
  if (!bytes.empty()) std::memcpy(blob + 1, bytes.data(), bytes.size());
  return blob;
}

bool Document::SetRoots(absl::Span<const Node> roots) {
  const NodeSeq* seq = MakeSeq(roots);
  if (seq == nullptr) return false;
  roots_ = seq;
  return true;
}

bool Document::CopySource(std::string_view text) {
  char* mem = static_cast<char*>(arena_.Allocate(text.size() + 1));
  if (mem == nullptr) return false;
  if (!text.empty()) std::memcpy(mem, text.data(), text.size());
  mem[text.size()] = '\0';
  source_ = std::string_view(mem, text.size());
  return true;
}

// ---------------------------------------------------------------------------
// Names

namespace {
// Valid UTF-8 made only of token characters, with no U+FEFF.
bool IsTokenText(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    uint8_t cls = internal::ClassOf(c);
    if (!(cls & (internal::kSymbolChar | internal::kHigh))) return false;
  }
  return internal::FindInvalidUtf8(name) == std::string_view::npos &&
         name.find("\xEF\xBB\xBF") == std::string_view::npos;
}
}  // namespace

bool IsValidSymbolName(std::string_view name) {
  return IsTokenText(name) && name[0] != '#' &&
         internal::ClassifyToken(name) == internal::TokenKind::kSymbol;
}

bool IsValidKeywordName(std::string_view name) { return IsTokenText(name); }

namespace internal {

TokenKind ClassifyToken(std::string_view t) {
  char c0 = t[0];
  if (c0 >= '0' && c0 <= '9') return TokenKind::kNumber;
  if (c0 == '-' && t.size() > 1 && t[1] >= '0' && t[1] <= '9') {
    return TokenKind::kNumber;
  }
  if (c0 == ':') return t.size() > 1 ? TokenKind::kKeyword : TokenKind::kInvalid;
  if (t.size() == 4 && t == "true") return TokenKind::kTrue;
  if (t.size() == 5 && t == "false") return TokenKind::kFalse;
  if (t.size() == 3 && t == "nil") return TokenKind::kNil;
  return TokenKind::kSymbol;
}

long DecodeBase64Strict(std::string_view in, char* out) {
  static constexpr auto kValues = [] {
    struct T { int8_t v[256]; } t{};
    for (int i = 0; i < 256; ++i) t.v[i] = -1;
    const char* a =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t.v[static_cast<uint8_t>(a[i])] = static_cast<int8_t>(i);
    return t;
  }();
  size_t n = in.size();
  if (n % 4 != 0) return -1;
  size_t pad = 0;
  if (n >= 1 && in[n - 1] == '=') pad = 1;
  if (n >= 2 && in[n - 2] == '=') pad = 2;
  long w = 0;
  for (size_t i = 0; i < n; i += 4) {
    bool last = i + 4 == n;
    int v[4];
    for (int k = 0; k < 4; ++k) {
      char c = in[i + k];
      if (c == '=') {
        if (!last || k < 4 - static_cast<int>(pad)) return -1;
        v[k] = 0;
      } else {
        v[k] = kValues.v[static_cast<uint8_t>(c)];
        if (v[k] < 0) return -1;
      }
    }
    uint32_t bits = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) |
                    (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out[w++] = static_cast<char>(bits >> 16);
    if (!last || pad < 2) out[w++] = static_cast<char>(bits >> 8);
    if (!last || pad < 1) out[w++] = static_cast<char>(bits);
    if (last && pad == 1 && (bits & 0xFF) != 0) return -1;
    if (last && pad == 2 && (bits & 0xFFFF) != 0) return -1;
  }
  return w;
}

}  // namespace internal

// ---------------------------------------------------------------------------
// Builder

Builder::Builder(const Allocator& upstream) : doc_(upstream) {}

Node Builder::Fail(ErrorCode code, std::string message) {
  if (error_.ok()) {
    error_.code = code;
    error_.message = std::move(message);
  }
  return Nil();
}

Node Builder::Float(double v) {
  if (!std::isfinite(v)) {
    return Fail(ErrorCode::kUnrepresentable,
                "NaN and infinities have no sx form");
  }
  return Node::MakeFloat(v, Node::kNoPos32);
}

Node Builder::String(std::string_view utf8) {
  if (internal::FindInvalidUtf8(utf8) != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidUtf8, "string is not valid UTF-8");
  }
  const Blob* blob = doc_.MakeBlob(utf8);
  if (blob == nullptr) return Fail(ErrorCode::kOutOfMemory, "out of memory");
  return Node::MakeBlobString(blob, Node::kNoPos32);
}

Node Builder::Bytes(std::string_view bytes) {
  const Blob* blob = doc_.MakeBlob(bytes);
  if (blob == nullptr) return Fail(ErrorCode::kOutOfMemory, "out of memory");
  return Node::MakeBytes(blob, Node::kNoPos32);
}

Node Builder::Symbol(std::string_view name) {
  if (!IsValidSymbolName(name)) {
    return Fail(ErrorCode::kUnrepresentable,
                "'" + std::string(name) + "' does not read back as a symbol");
  }
  const Atom* atom = doc_.Intern(name);
  if (atom == nullptr) return Fail(ErrorCode::kOutOfMemory, "out of memory");
  return Node::MakeAtom(Kind::kSymbol, atom, Node::kNoPos32);
}

Node Builder::Keyword(std::string_view name) {
  if (!IsValidKeywordName(name)) {
    return Fail(ErrorCode::kUnrepresentable,
                "':" + std::string(name) + "' does not read back as a keyword");
  }
  const Atom* atom = doc_.Intern(name);
  if (atom == nullptr) return Fail(ErrorCode::kOutOfMemory, "out of memory");
  return Node::MakeAtom(Kind::kKeyword, atom, Node::kNoPos32);
}

Node Builder::List(absl::Span<const Node> items) {
  const NodeSeq* seq = doc_.MakeSeq(items);
  if (seq == nullptr) return Fail(ErrorCode::kOutOfMemory, "out of memory");
  return Node::MakeSeq(Kind::kList, seq, Node::kNoPos32);
}

Node Builder::Dict(absl::Span<const Node> items) {
  if (items.size() % 2 != 0) {
    return Fail(ErrorCode::kInvalidDict, "dict needs key, value pairs");
  }
  for (size_t i = 0; i < items.size(); i += 2) {
    if (!items[i].is_keyword() && !items[i].is_string()) {
      return Fail(ErrorCode::kInvalidDict,
                  "dict keys must be keywords or strings");
    }
  }
  const NodeSeq* seq = doc_.MakeSeq(items);
  if (seq == nullptr) return Fail(ErrorCode::kOutOfMemory, "out of memory");
  return Node::MakeSeq(Kind::kDict, seq, Node::kNoPos32);
}

Result<Document> Builder::Finish(absl::Span<const Node> roots) {
  if (!error_.ok()) return error_;
  if (!doc_.SetRoots(roots)) {
    return Error{ErrorCode::kOutOfMemory, kNoOffset, 0, 0, "out of memory"};
  }
  return std::move(doc_);
}

// ---------------------------------------------------------------------------
// Equal: iterative, so it handles any depth.

bool Equal(const Node& a, const Node& b) {
  struct Pair {
    const Node* a;
    const Node* b;
    size_t n;
  };
  std::vector<Pair> stack;
  const Node* x = &a;
  const Node* y = &b;
  size_t count = 1;
  for (;;) {
    for (size_t i = 0; i < count; ++i) {
      const Node& p = x[i];
      const Node& q = y[i];
      if (p.kind() != q.kind()) return false;
      switch (p.kind()) {
        case Kind::kNil: break;
        case Kind::kBool:
          if (p.as_bool() != q.as_bool()) return false;
          break;
        case Kind::kInt:
          if (p.as_int() != q.as_int()) return false;
          break;
        case Kind::kFloat: {
          double u = p.as_float(), v = q.as_float();
          if (std::memcmp(&u, &v, sizeof u) != 0) return false;
          break;
        }
        case Kind::kString:
          if (p.str() != q.str()) return false;
          break;
        case Kind::kBytes:
          if (p.bytes() != q.bytes()) return false;
          break;
        case Kind::kSymbol:
        case Kind::kKeyword:
          if (p.atom() != q.atom() && p.name() != q.name()) return false;
          break;
        case Kind::kList:
        case Kind::kDict:
          if (p.size() != q.size()) return false;
          if (p.size() > 0) {
            stack.push_back({p.items().data(), q.items().data(), p.size()});
          }
          break;
      }
    }
    if (stack.empty()) return true;
    Pair next = stack.back();
    stack.pop_back();
    x = next.a;
    y = next.b;
    count = next.n;
  }
}

}  // namespace sexp
