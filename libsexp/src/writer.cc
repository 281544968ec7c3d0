// Canonical writer and pretty-printer.
//
// Both walk the tree with an explicit stack. Output goes through OutBuffer,
// which batches bytes into 64 KiB chunks for the ByteSink, so a hashing sink
// sees large updates and the canonical text is never held whole.
//
// Keyword-pair order (spec/canonical.md): after the head, a keyword followed
// by another element forms a pair; each maximal run of pairs is written sorted
// by keyword name. Most lists either have no pairs or one run that is already
// sorted; the writer checks for that first and only builds a permutation
// (a small index array on a shared stack) when something has to move.
#include "sexp/writer.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "keys.h"
#include "scan.h"
#include "strutil.h"

namespace sexp {
namespace {

using internal::AV;

class OutBuffer {
 public:
  explicit OutBuffer(ByteSink& sink) : sink_(sink) {}
  ~OutBuffer() { Flush(); }

  void Put(char c) {
    if (n_ == kSize) Flush();
    buf_[n_++] = c;
  }
  void Put(std::string_view s) {
    if (s.size() > kSize - n_) {
      Flush();
      if (s.size() >= kSize) {
        sink_.Append(s);
        return;
      }
    }
    std::memcpy(buf_ + n_, s.data(), s.size());
    n_ += s.size();
  }
  void Flush() {
    if (n_ > 0) sink_.Append(std::string_view(buf_, n_));
    n_ = 0;
  }
  // Space for `size` more bytes, or nullptr when `size` exceeds the buffer.
  // Write into it, then Commit(the end of what was written).
  char* Room(size_t size) {
    if (size > kSize - n_) {
      Flush();
      if (size > kSize) return nullptr;
    }
    return buf_ + n_;
  }
  void Commit(const char* end) { n_ = static_cast<size_t>(end - buf_); }

 private:
  static constexpr size_t kSize = 64 * 1024;
  ByteSink& sink_;
  size_t n_ = 0;
  char buf_[kSize];
};

// memcpy for the short names and strings that dominate documents: up to 16
// bytes are moved with two overlapping loads and stores (never touching a
// byte outside either range) instead of a call.
inline void CopyShort(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  } else {
    std::memcpy(dst, src, n);
  }
}

// Appends the quoted, escaped string; `put` takes string_views. The bytes
// that need escaping ('"', '\\', controls) are exactly what the reader's
// string kernel searches for, so plain runs are skipped 32 bytes at a time.
template <class Put>
void QuoteInto(std::string_view s, Put&& put) {
  static constexpr char kHex[] = "0123456789abcdef";
  const internal::FindStringSpecialFn find = internal::ActiveScanKernel().find_string_special;
  put(std::string_view("\"", 1));
  const char* run = s.data();
  const char* end = s.data() + s.size();
  for (const char* p = find(run, end); p < end; p = find(p, end)) {
    put(std::string_view(run, static_cast<size_t>(p - run)));
    unsigned char c = static_cast<unsigned char>(*p++);
    run = p;
    switch (c) {
      case '"': put("\\\""); break;
      case '\\': put("\\\\"); break;
      case '\n': put("\\n"); break;
      case '\t': put("\\t"); break;
      case '\r': put("\\r"); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        put(std::string_view(esc, 6));
      }
    }
  }
  put(std::string_view(run, static_cast<size_t>(end - run)));
  put(std::string_view("\"", 1));
}

// Writes any non-container node through `put` (which takes string_views).
// False for a non-finite float. One definition serves the canonical writer,
// the formatter's output and its width measurements.
template <class Put>
bool WriteAtom(const Node& n, Put&& put) {
  switch (n.kind()) {
    case Kind::kNil:
      put(std::string_view("nil"));
      return true;
    case Kind::kBool:
      put(n.as_bool() ? std::string_view("true") : std::string_view("false"));
      return true;
    case Kind::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, n.as_int());
      put(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
      return true;
    }
    case Kind::kFloat: {
      if (!std::isfinite(n.as_float())) return false;
      char buf[32];
      put(std::string_view(buf, FormatFloat(n.as_float(), buf)));
      return true;
    }
    case Kind::kString:
      QuoteInto(n.str(), put);
      return true;
    case Kind::kBytes:
      put(std::string_view("#b64\""));
      put(std::string_view(absl::Base64Escape(AV(n.bytes()))));
      put(std::string_view("\""));
      return true;
    case Kind::kSymbol:
      put(n.name());
      return true;
    case Kind::kKeyword:
      put(std::string_view(":"));
      put(n.name());
      return true;
    case Kind::kList:
    case Kind::kDict:
      break;
  }
  return false;
}

Error Unrepresentable() {
  return Error{ErrorCode::kUnrepresentable, kNoOffset, 0, 0,
               "NaN and infinities have no canonical form"};
}

Error DuplicateKeyword(const Node& second, bool dict) {
  Error e;
  e.code = ErrorCode::kDuplicateKey;
  uint32_t off = second.raw_offset(nullptr);
  if (!second.is_string() || !(second.flags() & Node::kFlagSourceString)) {
    e.offset = off == Node::kNoPos32 ? kNoOffset : off;
  }
  std::string_view text = second.is_keyword() ? second.name() : second.str();
  e.message = dict ? absl::StrCat("duplicate dict key ",
                                  second.is_keyword() ? ":" : "\"", AV(text),
                                  second.is_keyword() ? "" : "\"")
                   : absl::StrCat("keyword :", AV(text),
                                  " appears twice among the keyword pairs of "
                                  "one list");
  return e;
}

// Canonical element order of one list or dict.
class Orderer {
 public:
  // Returns the offset in pool_ of the permutation for `n`'s elements, or -1
  // when source order is canonical. Sets *error on duplicates.
  long Order(const Node& n, Error* error) {
    auto items = n.items();
    if (n.is_dict()) return OrderDict(items, error);
    return OrderList(items, error);
  }
  const uint32_t* at(long off) const { return pool_.data() + off; }
  void Release(long off) {
    if (off >= 0) pool_.resize(static_cast<size_t>(off));
  }

 private:
  long OrderList(absl::Span<const Node> x, Error* error) {
    size_t n = x.size();
    // Find the pairs and hash the list's shape: where its pairs are and which
    // keywords they hold.
    uint64_t shape = n;
    keys_.clear();
    for (size_t i = 1; i < n;) {
      if (x[i].is_keyword() && i + 1 < n) {
        keys_.push_back(static_cast<uint32_t>(i));
        shape = (shape ^ reinterpret_cast<uintptr_t>(x[i].atom()) ^ i) * 0x9E3779B97F4A7C15ull;
        i += 2;
      } else {
        ++i;
      }
    }
    if (keys_.size() <= 1) return -1;

    // Lists of one shape (every Note of a feed, every card of a page) order
    // the same way: reuse what was worked out for the last one.
    if (!shapes_) shapes_ = std::make_unique<ShapeEntry[]>(kShapeSlots);
    ShapeEntry& entry = shapes_[(shape >> 58) & (kShapeSlots - 1)];
    if (entry.hash == shape && SameShape(entry, x)) return Replay(entry);

    // Is each run strictly increasing already? (Then there are no duplicates
    // within a run, but runs may still repeat each other's keys.)
    bool sorted = true;
    size_t runs = 1;
    for (size_t k = 1; k < keys_.size(); ++k) {
      if (keys_[k] != keys_[k - 1] + 2) {
        ++runs;
      } else if (!(x[keys_[k - 1]].name() < x[keys_[k]].name())) {
        sorted = false;
      }
    }
    if (runs == 1 && sorted) {
      Remember(entry, shape, x, -1);
      return -1;
    }
    if (const Node* dup = FindDuplicate(x)) {
      *error = DuplicateKeyword(*dup, false);
      return -1;
    }
    long off = -1;
    if (!sorted) {  // else several runs, each already in order
      off = static_cast<long>(pool_.size());
      for (size_t i = 0; i < n; ++i) pool_.push_back(static_cast<uint32_t>(i));
      uint32_t* perm = pool_.data() + off;
      // Sort each run of pairs (consecutive pair slots in keys_) in place.
      for (size_t k = 0; k < keys_.size();) {
        size_t end = k + 1;
        while (end < keys_.size() && keys_[end] == keys_[end - 1] + 2) ++end;
        run_.assign(keys_.begin() + static_cast<long>(k), keys_.begin() + static_cast<long>(end));
        std::stable_sort(run_.begin(), run_.end(), [&](uint32_t a, uint32_t b) {
          return x[a].name() < x[b].name();
        });
        for (size_t r = 0; r < run_.size(); ++r) {
          perm[keys_[k] + 2 * r] = run_[r];
          perm[keys_[k] + 2 * r + 1] = run_[r] + 1;
        }
        k = end;
      }
    }
    Remember(entry, shape, x, off);
    return off;
  }

  long OrderDict(absl::Span<const Node> x, Error* error) {
    size_t n = x.size();
    keys_.clear();
    for (size_t i = 0; i + 1 < n; i += 2) keys_.push_back(static_cast<uint32_t>(i));
    auto less = [&](uint32_t a, uint32_t b) {
      const Node& p = x[a];
      const Node& q = x[b];
      if (p.is_keyword() != q.is_keyword()) return p.is_keyword();
      return (p.is_keyword() ? p.name() : p.str()) <
             (q.is_keyword() ? q.name() : q.str());
    };
    bool sorted = true;
    for (size_t k = 1; k < keys_.size(); ++k) {
      if (!less(keys_[k - 1], keys_[k])) {
        sorted = false;
        break;
      }
    }
    if (sorted) return -1;  // strictly increasing: no duplicates either
    if (const Node* dup = FindDuplicate(x)) {
      *error = DuplicateKeyword(*dup, true);
      return -1;
    }
    std::sort(keys_.begin(), keys_.end(), less);
    long off = static_cast<long>(pool_.size());
    for (uint32_t k : keys_) {
      pool_.push_back(k);
      pool_.push_back(k + 1);
    }
    return off;
  }

  // keys_ holds key indices in source order; the first key whose name (and
  // kind, for dicts) appeared earlier, or nullptr.
  const Node* FindDuplicate(absl::Span<const Node> x) {
    size_t k = internal::FirstRepeatedKey(x.data(), keys_.size(),
                                          [&](size_t i) { return keys_[i]; });
    return k == keys_.size() ? nullptr : &x[keys_[k]];
  }

  // One remembered list shape: its length, its pair keys (slot and atom, in
  // source order) and the permutation it needed (empty: source order).
  struct ShapeEntry {
    uint64_t hash = 0;
    size_t size = 0;
    std::vector<std::pair<uint32_t, const Atom*>> keys;
    std::vector<uint32_t> perm;
  };
  static constexpr size_t kShapeSlots = 64;

  // keys_ holds the pair slots of x. Atoms are interned per document, so
  // equal pointers mean equal names: a match orders exactly as the entry did.
  bool SameShape(const ShapeEntry& e, absl::Span<const Node> x) const {
    if (e.size != x.size() || e.keys.size() != keys_.size()) return false;
    for (size_t k = 0; k < keys_.size(); ++k) {
      if (e.keys[k].first != keys_[k] || e.keys[k].second != x[keys_[k]].atom()) return false;
    }
    return true;
  }
  long Replay(const ShapeEntry& e) {
    if (e.perm.empty()) return -1;
    long off = static_cast<long>(pool_.size());
    pool_.insert(pool_.end(), e.perm.begin(), e.perm.end());
    return off;
  }
  void Remember(ShapeEntry& e, uint64_t hash, absl::Span<const Node> x, long off) {
    e.hash = hash;
    e.size = x.size();
    e.keys.clear();
    for (uint32_t i : keys_) e.keys.emplace_back(i, x[i].atom());
    e.perm.clear();
    if (off >= 0) e.perm.assign(pool_.begin() + off, pool_.begin() + off + static_cast<long>(x.size()));
  }

  std::vector<uint32_t> pool_;
  std::vector<uint32_t> keys_;
  std::vector<uint32_t> run_;
  std::unique_ptr<ShapeEntry[]> shapes_;  // made on first use
};

}  // namespace

size_t FormatFloat(double v, char* out) {
  if (v == 0) {  // both zeros
    std::memcpy(out, "0.0", 3);
    return 3;
  }
  // Shortest round-trip digits, then ECMAScript's layout rules.
  char sci[32];
  auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  const char* p = sci;
  const char* e = r.ptr;
  char* w = out;
  if (*p == '-') {
    *w++ = '-';
    ++p;
  }
  char digits[20];
  int k = 0;
  while (p < e && *p != 'e') {
    if (*p != '.') digits[k++] = *p;
    ++p;
  }
  int exp10 = 0;
  std::from_chars(p + 1 + (p[1] == '+'), e, exp10);
  int n = exp10 + 1;  // value = 0.d1d2... * 10^n
  if (k <= n && n <= 21) {
    std::memcpy(w, digits, k);
    w += k;
    for (int i = 0; i < n - k; ++i) *w++ = '0';
    *w++ = '.';
    *w++ = '0';
  } else if (0 < n && n <= 21) {
    std::memcpy(w, digits, n);
    w += n;
    *w++ = '.';
    std::memcpy(w, digits + n, k - n);
    w += k - n;
  } else if (-6 < n && n <= 0) {
    *w++ = '0';
    *w++ = '.';
    for (int i = 0; i < -n; ++i) *w++ = '0';
    std::memcpy(w, digits, k);
    w += k;
  } else {
    *w++ = digits[0];
    if (k > 1) {
      *w++ = '.';
      std::memcpy(w, digits + 1, k - 1);
      w += k - 1;
    }
    *w++ = 'e';
    int x = n - 1;
    *w++ = x < 0 ? '-' : '+';
    auto rr = std::to_chars(w, w + 8, x < 0 ? -x : x);
    w = rr.ptr;
  }
  return static_cast<size_t>(w - out);
}

void AppendQuotedString(std::string_view text, std::string* out) {
  QuoteInto(text, [&](std::string_view s) { out->append(s); });
}

namespace {

// The canonical writer proper. Atoms that are the bulk of real documents
// (symbols, keywords, plain strings, integers) are written with their
// separator in one step into the output buffer; everything else goes through
// WriteAtom. Containers push a frame instead of recursing.
class CanonicalWriter {
 public:
  explicit CanonicalWriter(ByteSink& sink) : out_(sink) {}

  Error Run(const Node& root) {
    if (!Write(root, false)) return error_;
    while (!stack_.empty()) {
      Frame& top = stack_.back();
      if (top.i == top.n) {
        out_.Put(top.close);
        orderer_.Release(top.perm);
        stack_.pop_back();
        continue;
      }
      uint32_t idx = top.perm >= 0 ? orderer_.at(top.perm)[top.i] : top.i;
      const Node& child = top.items[idx];
      bool sep = top.i++ > 0;
      if (!Write(child, sep)) return error_;  // `top` may dangle after this
    }
    return error_;
  }

 private:
  struct Frame {
    const Node* items;
    uint32_t n;
    uint32_t i;
    long perm;  // offset in the orderer's pool, or -1
    char close;
  };

  // Writes `n`, preceded by a space when `sep`. False on error.
  bool Write(const Node& n, bool sep) {
    switch (n.kind()) {
      case Kind::kSymbol:
        return Text(sep, "", n.name(), "");
      case Kind::kKeyword:
        return Text(sep, ":", n.name(), "");
      case Kind::kString:
        if (n.flags() & Node::kFlagPlainString) return Text(sep, "\"", n.str(), "\"");
        break;
      case Kind::kInt:
        if (char* w = out_.Room(24)) {
          *w = ' ';
          w += sep;
          out_.Commit(std::to_chars(w, w + 22, n.as_int()).ptr);
          return true;
        }
        break;
      case Kind::kList:
      case Kind::kDict: {
        long perm = orderer_.Order(n, &error_);
        if (!error_.ok()) return false;
        if (sep) out_.Put(' ');
        out_.Put(n.is_dict() ? '{' : '(');
        stack_.push_back({n.items().data(), static_cast<uint32_t>(n.size()), 0, perm,
                          n.is_dict() ? '}' : ')'});
        return true;
      }
      default:
        break;
    }
    if (sep) out_.Put(' ');
    if (!WriteAtom(n, [&](std::string_view t) { out_.Put(t); })) {
      error_ = Unrepresentable();
      return false;
    }
    return true;
  }

  // Writes [' '] prefix body suffix, where prefix and suffix are at most one
  // byte, with one capacity check.
  bool Text(bool sep, std::string_view prefix, std::string_view body,
            std::string_view suffix) {
    char* w = out_.Room(body.size() + 3);
    if (w == nullptr) {  // longer than the buffer
      if (sep) out_.Put(' ');
      out_.Put(prefix);
      out_.Put(body);
      out_.Put(suffix);
      return true;
    }
    *w = ' ';
    w += sep;
    if (!prefix.empty()) *w++ = prefix[0];
    CopyShort(w, body.data(), body.size());
    w += body.size();
    if (!suffix.empty()) *w++ = suffix[0];
    out_.Commit(w);
    return true;
  }

  OutBuffer out_;
  Orderer orderer_;
  std::vector<Frame> stack_;
  Error error_;
};

}  // namespace

Error WriteCanonical(const Node& root, ByteSink& sink) {
  return CanonicalWriter(sink).Run(root);
}

Result<std::string> Canonical(const Node& node) {
  std::string s;
  StringSink sink(&s);
  Error e = WriteCanonical(node, sink);
  if (!e.ok()) return e;
  return s;
}

// ---------------------------------------------------------------------------
// Pretty-printer

namespace {

class Formatter {
 public:
  Formatter(ByteSink& sink, const FormatOptions& options)
      : out_(sink), opt_(options), max_indent_(options.width / 2) {}

  bool Run(const Node& root);

 private:
  enum class Op : uint8_t { kNode, kText, kNewline };
  struct Item {
    Op op;
    const Node* node;
    std::string_view text;
    size_t indent;
  };

  static bool IsSugarPair(const Node& n) {
    return n.is_list() && (n.flags() & Node::kFlagSugar) && n.size() == 2 &&
           n[0].is_symbol();
  }
  static std::string_view SugarPrefix(const Node& n) {
    std::string_view h = n[0].name();
    if (h == "quote") return "'";
    if (h == "quasiquote") return "`";
    if (h == "unquote") {
      // ",@x" would read as unquote-splicing: keep a space before a datum
      // whose text starts with '@' (only a symbol can).
      return n[1].is_symbol() && n[1].name()[0] == '@' ? ", " : ",";
    }
    return ",@";
  }

  // Width of `n` written flat, or anything > limit once it exceeds limit.
  size_t FlatWidth(const Node& n, size_t limit);
  size_t AtomWidth(const Node& n);
  bool WriteFlat(const Node& n);
  void Text(std::string_view s) {
    out_.Put(s);
    col_ += s.size();
  }

  OutBuffer out_;
  FormatOptions opt_;
  size_t max_indent_;
  size_t col_ = 0;
  std::vector<Item> work_;
  std::vector<std::pair<const Node*, size_t>> scan_;
};

size_t Formatter::AtomWidth(const Node& n) {
  size_t w = 0;
  WriteAtom(n, [&](std::string_view t) { w += t.size(); });
  return w;
}

size_t Formatter::FlatWidth(const Node& root, size_t limit) {
  size_t w = 0;
  scan_.clear();
  scan_.push_back({&root, 1});
  while (!scan_.empty() && w <= limit) {
    auto [items, count] = scan_.back();
    scan_.pop_back();
    for (size_t i = 0; i < count && w <= limit; ++i) {
      const Node& n = items[i];
      if (i > 0) w += 1;
      if (IsSugarPair(n)) {
        w += SugarPrefix(n).size();
        scan_.push_back({&n[1], 1});
      } else if (n.is_list() || n.is_dict()) {
        w += 2;
        if (n.size() > 0) scan_.push_back({n.items().data(), n.size()});
      } else {
        w += AtomWidth(n);
      }
    }
  }
  return w;
}

bool Formatter::WriteFlat(const Node& root) {
  // Same text as canonical form but in source order, with [ ] and sugar kept.
  struct F {
    const Node* items;
    size_t n, i;
    char close;
  };
  std::vector<F> st;
  auto emit = [&](const Node& n) -> bool {
    const Node* cur = &n;
    while (IsSugarPair(*cur)) {
      Text(SugarPrefix(*cur));
      cur = &(*cur)[1];
    }
    if (cur->is_list() || cur->is_dict()) {
      char open = cur->is_dict() ? '{' : (cur->flags() & Node::kFlagSquare) ? '[' : '(';
      char close = open == '{' ? '}' : open == '[' ? ']' : ')';
      Text(std::string_view(&open, 1));
      st.push_back({cur->items().data(), cur->size(), 0, close});
      return true;
    }
    return WriteAtom(*cur, [&](std::string_view t) { Text(t); });
  };
  if (!emit(root)) return false;
  while (!st.empty()) {
    F& top = st.back();
    if (top.i == top.n) {
      char c = top.close;
      st.pop_back();
      Text(std::string_view(&c, 1));
      continue;
    }
    if (top.i > 0) Text(" ");
    const Node& child = top.items[top.i++];
    if (!emit(child)) return false;
  }
  return true;
}

bool Formatter::Run(const Node& root) {
  static const char kClosers[] = ")]}";
  work_.push_back({Op::kNode, &root, {}, 0});
  while (!work_.empty()) {
    Item it = work_.back();
    work_.pop_back();
    if (it.op == Op::kText) {
      Text(it.text);
      continue;
    }
    if (it.op == Op::kNewline) {
      out_.Put('\n');
      col_ = 0;
      for (size_t i = 0; i < it.indent; ++i) out_.Put(' ');
      col_ = it.indent;
      continue;
    }
    const Node* n = it.node;
    while (IsSugarPair(*n)) {
      Text(SugarPrefix(*n));
      n = &(*n)[1];
    }
    size_t room = opt_.width > col_ ? opt_.width - col_ : 0;
    if ((!n->is_list() && !n->is_dict()) || n->size() == 0 ||
        FlatWidth(*n, room) <= room) {
      if (!WriteFlat(*n)) return false;
      continue;
    }
    // Broken layout. Children indent from this opener's column.
    bool dict = n->is_dict();
    bool square = n->flags() & Node::kFlagSquare;
    size_t indent = std::min(col_ + (dict ? 1 : opt_.indent), max_indent_);
    Text(dict ? "{" : square ? "[" : "(");
    auto x = n->items();
    // Group elements: each line gets one element, or a keyword with its value.
    // For a list the head stays on the opening line; for a dict, the first
    // pair does.
    std::vector<Item> lines;  // built forward, pushed reversed
    size_t i = 0;
    if (!dict) {
      lines.push_back({Op::kNode, &x[0], {}, 0});
      i = 1;
    }
    bool first_line = true;
    while (i < x.size()) {
      bool pair = (dict || x[i].is_keyword()) && i + 1 < x.size();
      if (!(first_line && dict)) lines.push_back({Op::kNewline, nullptr, {}, indent});
      first_line = false;
      lines.push_back({Op::kNode, &x[i], {}, 0});
      if (pair) {
        lines.push_back({Op::kText, nullptr, " ", 0});
        lines.push_back({Op::kNode, &x[i + 1], {}, 0});
        i += 2;
      } else {
        ++i;
      }
    }
    lines.push_back({Op::kText, nullptr,
                     std::string_view(&kClosers[dict ? 2 : square ? 1 : 0], 1), 0});
    for (auto r = lines.rbegin(); r != lines.rend(); ++r) work_.push_back(*r);
  }
  return true;
}

}  // namespace

Error WriteFormatted(const Node& node, ByteSink& sink,
                     const FormatOptions& options) {
  Formatter f(sink, options);
  if (!f.Run(node)) {
    return Error{ErrorCode::kUnrepresentable, kNoOffset, 0, 0,
                 "NaN and infinities have no sx form"};
  }
  return Error{};
}

Result<std::string> Format(const Document& doc, const FormatOptions& options) {
  std::string s;
  for (const Node& root : doc.roots()) {
    {
      StringSink sink(&s);
      Error e = WriteFormatted(root, sink, options);
      if (!e.ok()) return e;
    }
    s.push_back('\n');
  }
  return s;
}

}  // namespace sexp
