// Canonical writer and pretty-printer.
//
// Both walk the tree with an explicit stack and batch their output into
// 64 KiB chunks for the ByteSink, so a hashing sink sees large updates and the
// canonical text is never held whole.
//
// Keyword-pair order (spec/canonical.md): after the head, a keyword followed
// by another element forms a pair; each maximal run of pairs is written sorted
// by keyword name. Most lists either have no pairs or one run that is already
// sorted; the writer checks for that first (remembering the order of each
// list shape it has seen) and, when something has to move, writes a copy of
// the list's elements in canonical order.
#include "sexp/core/writer.h"

#include <algorithm>
#include <bit>
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
#include "core/decimal.h"
#include "core/intern.h"
#include "core/keys.h"
#include "core/scan.h"
#include "core/strutil.h"

namespace sexp {
namespace {

using internal::AV;

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
    if (w > buf_) sink_.Append(std::string_view(buf_, static_cast<size_t>(w - buf_)));
    return buf_;
  }
  // Appends s at w, flushing first when it does not fit (text larger than
  // the buffer goes to the sink directly); returns the new cursor.
  char* PutAt(char* w, std::string_view s) {
    if (s.size() > static_cast<size_t>(limit() - w)) {
      w = FlushAt(w);
      if (s.size() >= kSize) {
        sink_.Append(s);
        return w;
      }
    }
    std::memcpy(w, s.data(), s.size());
    return w + s.size();
  }

 private:
  ByteSink& sink_;
  char* w_ = buf_;
  char buf_[kSize];  // last: the small members stay on their own lines
};

// Copies n <= 16 bytes with two overlapping loads and stores of the widest
// size that fits (never touching a byte outside either range), so the short
// names and strings documents are made of cost no call and no loop (a byte
// loop here would itself be turned into a memcpy call).
inline void CopyShort(char* dst, const char* src, size_t n) {
  if (n >= 8) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n >= 2) {
    uint16_t a, b;
    std::memcpy(&a, src, 2);
    std::memcpy(&b, src + n - 2, 2);
    std::memcpy(dst, &a, 2);
    std::memcpy(dst + n - 2, &b, 2);
  } else if (n == 1) {
    *dst = *src;
  }
}

// Copies n <= 48 bytes with no call and no loop, never touching a byte
// outside either range: up to 16 as in CopyShort, more as three 16-byte
// blocks — the first, the last, and one that covers the gap between them
// (overlaps are harmless) — so the length picks no further branch.
inline char* CopyUpTo48(char* dst, const char* src, size_t n) {
  if (n <= 16) {
    CopyShort(dst, src, n);
  } else {
    const size_t mid = n > 32 ? 16 : n - 16;
    std::memcpy(dst, src, 16);
    std::memcpy(dst + mid, src + mid, 16);
    std::memcpy(dst + n - 16, src + n - 16, 16);
  }
  return dst + n;
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

// Bytewise order of two interned names. Names carry 16 readable bytes,
// zero past their end (ast.h), so the first 16 bytes compare as two
// big-endian words; a zero pad sorts below any byte, as a shorter name sorts
// before a longer one it begins. Only names equal in those 16 bytes compare
// in full.
inline bool NameLess(const Atom* a, const Atom* b) {
  const char* p = a->name().data();
  const char* q = b->name().data();
  for (int i = 0; i < 16; i += 8) {
    uint64_t x = internal::LoadWord(p + i);
    uint64_t y = internal::LoadWord(q + i);
    if (x != y) {
      if constexpr (std::endian::native == std::endian::little) {
        x = __builtin_bswap64(x);
        y = __builtin_bswap64(y);
      }
      return x < y;
    }
  }
  return a->name() < b->name();
}

// Canonical element order of one list or dict.
class Orderer {
 public:
  // The canonical order of `n`'s elements as indices into n.items(), or
  // nullptr when source order is canonical (or on error: *error is set, for
  // a repeated key). The array is valid until the next call.
  const uint32_t* Order(const Node& n, Error* error) {
    auto items = n.items();
    // Two pairs at least, or there is nothing to order: a list needs a head
    // and four more elements, a dict four elements.
    if (n.is_dict()) return items.size() < 4 ? nullptr : OrderDict(items, error);
    return items.size() < 5 ? nullptr : OrderList(items, error);
  }

 private:
  // Lists up to this long have their shape remembered.
  static constexpr size_t kShapeMax = 33;  // the head and 32 elements (one mask bit each)

  // One remembered list shape (size 0: none): see OrderList.
  struct ShapeEntry {
    uint32_t size = 0;
    uint32_t mask = 0;
    uint32_t key_count = 0;
    bool reordered = false;
    uint8_t key_slot[kShapeMax / 2];
    const Atom* key_atom[kShapeMax / 2];
    uint32_t perm[kShapeMax];
  };
  static constexpr int kShapeBits = 6;
  static constexpr size_t kShapeSlots = size_t{1} << kShapeBits;

  const uint32_t* OrderList(absl::Span<const Node> x, Error* error) {
    const size_t n = x.size();
    ShapeEntry* entry = nullptr;
    if (n <= kShapeMax) {
      // Lists of one shape (every Note of a feed, every card of a page)
      // order the same way, so the order worked out for the last list of a
      // shape is kept. A shape is the list's length, which elements after
      // the head are keywords (a mask, made without branches), and the
      // keywords of its pairs; atoms are interned per document, so equal
      // pointers mean equal names.
      uint32_t mask = 0;
      for (size_t i = 1; i < n; ++i) mask |= uint32_t{x[i].is_keyword()} << (i - 1);
      if (std::popcount(mask) < 2) return nullptr;  // at most one pair
      const Node& first_key = x[std::countr_zero(mask) + 1];
      uint64_t h = (n ^ (uint64_t{mask} << 8)) * 0x9E3779B97F4A7C15ull;
      h ^= reinterpret_cast<uintptr_t>(first_key.atom());
      if (x[0].is_symbol()) h ^= reinterpret_cast<uintptr_t>(x[0].atom()) >> 3;
      h *= 0xC2B2AE3D27D4EB4Full;
      if (!shapes_) shapes_ = std::make_unique<ShapeEntry[]>(kShapeSlots);
      entry = &shapes_[h >> (64 - kShapeBits)];
      if (entry->size == n && entry->mask == mask) {
        uintptr_t differ = 0;
        for (uint32_t k = 0; k < entry->key_count; ++k) {
          differ |= reinterpret_cast<uintptr_t>(x[entry->key_slot[k]].atom()) ^
                    reinterpret_cast<uintptr_t>(entry->key_atom[k]);
        }
        if (differ == 0) return entry->reordered ? entry->perm : nullptr;
      }
      entry->size = 0;  // rewritten by Remember, unless a duplicate key stops it
      entry->mask = mask;
    }
    return OrderNewShape(x, entry, error);
  }

  // OrderList for a shape not remembered (entry: where to remember it, or
  // nullptr). Out of line: the writer's loop inlines only the check above.
  [[gnu::noinline]] const uint32_t* OrderNewShape(absl::Span<const Node> x, ShapeEntry* entry,
                                                  Error* error) {
    const size_t n = x.size();
    // Find the pairs: after the head, a keyword and the element after it.
    keys_.clear();
    for (size_t i = 1; i < n;) {
      if (x[i].is_keyword() && i + 1 < n) {
        keys_.push_back(static_cast<uint32_t>(i));
        i += 2;
      } else {
        ++i;
      }
    }
    if (keys_.size() <= 1) return Remember(entry, x, nullptr);

    // Is each run strictly increasing already? (Then there are no duplicates
    // within a run, but runs may still repeat each other's keys.)
    bool sorted = true;
    size_t runs = 1;
    for (size_t k = 1; k < keys_.size(); ++k) {
      if (keys_[k] != keys_[k - 1] + 2) {
        ++runs;
      } else if (!NameLess(x[keys_[k - 1]].atom(), x[keys_[k]].atom())) {
        sorted = false;
      }
    }
    if (runs == 1 && sorted) return Remember(entry, x, nullptr);
    if (const Node* dup = FindRepeatedKey(x, [](const Node& key) { return key.atom(); })) {
      *error = DuplicateKeyword(*dup, false);
      return nullptr;
    }
    if (sorted) return Remember(entry, x, nullptr);  // several runs, each in order
    pool_.resize(n);
    for (size_t i = 0; i < n; ++i) pool_[i] = static_cast<uint32_t>(i);
    // Sort each run of pairs (consecutive pair slots in keys_) in place.
    for (size_t k = 0; k < keys_.size();) {
      size_t end = k + 1;
      while (end < keys_.size() && keys_[end] == keys_[end - 1] + 2) ++end;
      run_.assign(keys_.begin() + static_cast<long>(k), keys_.begin() + static_cast<long>(end));
      auto less = [&](uint32_t a, uint32_t b) { return NameLess(x[a].atom(), x[b].atom()); };
      if (run_.size() <= 16) {
        // Runs are short: a stable insertion sort, without the buffer
        // std::stable_sort allocates.
        for (size_t i = 1; i < run_.size(); ++i) {
          uint32_t v = run_[i];
          size_t j = i;
          for (; j > 0 && less(v, run_[j - 1]); --j) run_[j] = run_[j - 1];
          run_[j] = v;
        }
      } else {
        std::stable_sort(run_.begin(), run_.end(), less);
      }
      for (size_t r = 0; r < run_.size(); ++r) {
        pool_[keys_[k] + 2 * r] = run_[r];
        pool_[keys_[k] + 2 * r + 1] = run_[r] + 1;
      }
      k = end;
    }
    return Remember(entry, x, pool_.data());
  }

  const uint32_t* OrderDict(absl::Span<const Node> x, Error* error) {
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
    if (sorted) return nullptr;  // strictly increasing: no duplicates either
    if (const Node* dup = FindRepeatedKey(x)) {
      *error = DuplicateKeyword(*dup, true);
      return nullptr;
    }
    std::sort(keys_.begin(), keys_.end(), less);
    pool_.clear();
    for (uint32_t k : keys_) {
      pool_.push_back(k);
      pool_.push_back(k + 1);
    }
    if (n % 2) pool_.push_back(static_cast<uint32_t>(n - 1));
    return pool_.data();
  }

  // keys_ holds key indices in source order; the first key equal to an
  // earlier one by key_of (KeyOf: name and kind, for dicts; the atom, for a
  // list's keywords, which are interned per document), or nullptr.
  template <class KeyFn = decltype(&internal::KeyOf)>
  const Node* FindRepeatedKey(absl::Span<const Node> x, KeyFn key_of = &internal::KeyOf) {
    size_t k = internal::FirstRepeatedKey(x.data(), keys_.size(),
                                          [&](size_t i) { return keys_[i]; }, key_of);
    return k == keys_.size() ? nullptr : &x[keys_[k]];
  }

  // Records x's shape (keys_ holds its pair slots) in `entry`, if any, with
  // its order (`perm`, n indices, or nullptr for source order); returns the
  // order.
  const uint32_t* Remember(ShapeEntry* entry, absl::Span<const Node> x, const uint32_t* perm) {
    if (entry == nullptr) return perm;
    entry->size = static_cast<uint32_t>(x.size());
    entry->key_count = static_cast<uint32_t>(keys_.size());
    for (size_t k = 0; k < keys_.size(); ++k) {
      entry->key_slot[k] = static_cast<uint8_t>(keys_[k]);
      entry->key_atom[k] = x[keys_[k]].atom();
    }
    entry->reordered = perm != nullptr;
    if (perm != nullptr) std::copy(perm, perm + x.size(), entry->perm);
    return perm;
  }

  std::vector<uint32_t> pool_;
  std::vector<uint32_t> keys_;
  std::vector<uint32_t> run_;
  std::unique_ptr<ShapeEntry[]> shapes_;  // made on first use
};

// Floats with a short decimal form (prices, scores, coordinates: "97.401")
// without the general shortest-digits search. Take the most places D <= 9
// for which |v| * 10^D stays under 2^50, and m = round(|v| * 10^D). Below
// 2^50 both the error of that product and the interval of reals that read as
// v (scaled by 10^D) are narrower than 1/8 either side, so the one integer
// that can read back as v, if any, is m; and m / 10^D (one correctly rounded
// division of exact operands) says whether it does. If it does not, no
// decimal with at most D places reads as v: the general path takes it. If it
// does, every decimal with d <= D places that reads as v is m with D - d
// trailing zeros dropped, so dropping all of them gives the fewest places,
// hence the fewest significant digits: ECMAScript's Number::toString
// digits, in its fixed layout (used for 1e-6 <= |v| < 1e21). Returns 0 when
// the general path must decide.
size_t FormatShortDecimal(double v, char* out) {
  using internal::kExactPow10;
  static constexpr int kMaxPlaces = 9;
  static constexpr double kExactLimit = 1125899906842624.0;  // 2^50
  static constexpr double kRoundingShift = 4503599627370496.0;  // 2^52
  const double a = std::fabs(v);
  if (!(a >= 1e-6 && a < kExactLimit)) return 0;
  int d = kMaxPlaces;
  while (d > 0 && a * kExactPow10[d] >= kExactLimit) --d;
  // The nearest integer: below 2^52, adding and subtracting 2^52 rounds
  // (inline, where std::nearbyint is a library call), given plain double
  // arithmetic (decimal.h).
  const double scaled = a * kExactPow10[d];
  const double m = internal::kPlainDoubleArithmetic ? (scaled + kRoundingShift) - kRoundingShift
                                                    : std::nearbyint(scaled);
  if (m / kExactPow10[d] != a) return 0;
  // m's digits (a >= 1e-6 makes m >= 1000), the point d places from the
  // right, trailing zeros of the fraction dropped. The 8 bytes before the
  // digits are not '0', so the last 8 can be loaded as one word whatever
  // the count: its trailing '0's are its top zero bytes after an XOR
  // (little-endian), at most `places` of them. A ninth zero (d = 9) may
  // stay: one place is left then, a '0', and "N.0" is how an integer is
  // written anyway.
  char buffer[8 + 24] = {'#', '#', '#', '#', '#', '#', '#', '#'};
  char* const digits = buffer + 8;
  size_t count = static_cast<size_t>(
      std::to_chars(digits, buffer + sizeof buffer, static_cast<uint64_t>(m)).ptr - digits);
  size_t places = static_cast<size_t>(d);
  uint64_t tail = internal::LoadWord(digits + count - 8);
  if constexpr (std::endian::native == std::endian::big) tail = __builtin_bswap64(tail);
  tail ^= 0x3030303030303030ull;  // '0' bytes become zero
  size_t zeros = tail == 0 ? 8 : static_cast<size_t>(std::countl_zero(tail)) / 8;
  zeros = std::min(zeros, places);
  count -= zeros;
  places -= zeros;
  // Written as the digits with the point `places` from the right ("0.00…"
  // when there are fewer digits than that), or with ".0" after an integer.
  char* w = out;
  if (v < 0) *w++ = '-';
  if (places == 0) {
    CopyUpTo48(w, digits, count);
    std::memcpy(w + count, ".0", 2);
    return static_cast<size_t>(w + count + 2 - out);
  }
  if (count > places) {
    w = CopyUpTo48(w, digits, count - places);
    *w++ = '.';
    w = CopyUpTo48(w, digits + count - places, places);
  } else {
    *w++ = '0';
    *w++ = '.';
    for (size_t i = count; i < places; ++i) *w++ = '0';
    w = CopyUpTo48(w, digits, count);
  }
  return static_cast<size_t>(w - out);
}

}  // namespace

size_t FormatFloat(double v, char* out) {
  if (v == 0) {  // both zeros
    std::memcpy(out, "0.0", 3);
    return 3;
  }
  if (size_t n = FormatShortDecimal(v, out)) return n;
  // Shortest round-trip digits, then ECMAScript's layout rules.
  char sci[32];
  auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  const char* p = sci;
  char* w = out;
  if (*p == '-') {
    *w++ = '-';
    ++p;
  }
  // p is "d" or "d.ddd", then 'e', a sign and two or three digits.
  const char* e = r.ptr - 4;
  if (*e != 'e') --e;
  char digits[20];
  digits[0] = p[0];
  int k = 1;
  if (p[1] == '.') {
    CopyUpTo48(digits + 1, p + 2, static_cast<size_t>(e - p - 2));
    k += static_cast<int>(e - p - 2);
  }
  int exp10 = 0;
  for (const char* x = e + 2; x < r.ptr; ++x) exp10 = exp10 * 10 + (*x - '0');
  if (e[1] == '-') exp10 = -exp10;
  int n = exp10 + 1;  // value = 0.d1d2... * 10^n
  if (k <= n && n <= 21) {
    w = CopyUpTo48(w, digits, static_cast<size_t>(k));
    for (int i = 0; i < n - k; ++i) *w++ = '0';
    *w++ = '.';
    *w++ = '0';
  } else if (0 < n && n <= 21) {
    w = CopyUpTo48(w, digits, static_cast<size_t>(n));
    *w++ = '.';
    w = CopyUpTo48(w, digits + n, static_cast<size_t>(k - n));
  } else if (-6 < n && n <= 0) {
    *w++ = '0';
    *w++ = '.';
    for (int i = 0; i < -n; ++i) *w++ = '0';
    w = CopyUpTo48(w, digits, static_cast<size_t>(k));
  } else {
    *w++ = digits[0];
    if (k > 1) {
      *w++ = '.';
      w = CopyUpTo48(w, digits + 1, static_cast<size_t>(k - 1));
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

// Copies n bytes with no call for the lengths documents are made of (names,
// URLs, ids, short text: CopyUpTo48); longer text in 16-byte blocks, the
// last one overlapping the one before it.
inline char* CopyText(char* dst, const char* src, size_t n) {
  // The ≤ 16 case is tested here first, not only inside CopyUpTo48:
  // testing ≤ 48 first made the feed's writer 5 % slower.
  if (n <= 16) {
    CopyShort(dst, src, n);
  } else if (n <= 48) {
    CopyUpTo48(dst, src, n);
  } else {
    for (size_t i = 0; i + 16 < n; i += 16) std::memcpy(dst + i, src + i, 16);
    std::memcpy(dst + n - 16, src + n - 16, 16);
  }
  return dst + n;
}

// Contiguous runs of Nodes handed out and given back in stack order; a run
// never moves while it is in use (new blocks are added, never grown), so the
// writer can iterate a reordered copy of a list by pointer while it writes
// the lists nested in it.
class NodeRuns {
 public:
  // A run of n Nodes, valid until the matching Pop().
  Node* Push(size_t n) {
    marks_.push_back({current_, used_});
    while (current_ < blocks_.size() && blocks_[current_].size - used_ < n) {
      ++current_;
      used_ = 0;
    }
    if (current_ == blocks_.size()) {
      size_t size = std::max<size_t>(n, kBlockNodes);
      blocks_.push_back({std::make_unique<Node[]>(size), size});
    }
    Node* run = blocks_[current_].nodes.get() + used_;
    used_ += n;
    return run;
  }
  // Gives back the most recent run.
  void Pop() {
    current_ = marks_.back().first;
    used_ = marks_.back().second;
    marks_.pop_back();
  }

 private:
  static constexpr size_t kBlockNodes = 4096;
  struct Block {
    std::unique_ptr<Node[]> nodes;
    size_t size;
  };
  std::vector<Block> blocks_;
  std::vector<std::pair<size_t, size_t>> marks_;  // (block, used) before each run
  size_t current_ = 0;
  size_t used_ = 0;
};

// The canonical writer proper: one loop over an explicit stack of frames
// (any depth), writing into an OutBuffer through a local cursor.
//
// Every element is written followed by a space; a closer replaces the space
// after the last element (canonical text never ends an element with a
// space, so "the byte before the cursor is a space" means "an element came
// last"). That space is always still in the buffer: a flush happens before
// an element is written or after a closer has dropped the space. A frame
// iterates a span of Nodes: a list in source order in place, one whose
// keyword pairs (or dict keys) move as a copy in canonical order, in a
// NodeRuns run.
//
// Before each element the loop makes room for the largest atom it writes
// inline (kAtomRoom), so symbols, keywords, plain strings up to kInlineText
// bytes, integers, floats, nil and booleans are each a few stores with no
// further check and no call. Interned names carry at least 16 readable bytes
// (ast.h), so names up to 16 bytes are one 16-byte copy. Anything else
// (escaped or long strings, byte strings) goes through WriteOther.
class CanonicalWriter {
 public:
  explicit CanonicalWriter(ByteSink& sink) : out_(sink) {}

  Error Run(const Node& root) {
    char* w = out_.cursor();
    char* const limit = out_.limit();
    // The frame being written lives in `cur` (registers); stack_ holds the
    // frames around it. The root is the one element of a frame with no
    // closer.
    Frame cur{&root, &root + 1, 0, false};
    for (;;) {
      if (cur.next == cur.end) {
        w -= w > out_.begin() && w[-1] == ' ';  // the space after the last element
        if (stack_.empty()) break;
        if (static_cast<size_t>(limit - w) < 2) w = out_.FlushAt(w);
        w[0] = cur.close;
        w[1] = ' ';
        w += 2;
        if (cur.copied) runs_.Pop();
        cur = stack_.back();
        stack_.pop_back();
        continue;
      }
      const Node& c = *cur.next++;
      if (static_cast<size_t>(limit - w) < kAtomRoom) w = out_.FlushAt(w);
      // Keywords, strings and symbols are most of every document: they are
      // tested first with plain branches, which predict better from the
      // document's rhythm than one indirect jump over all kinds.
      const Kind kind = c.kind();
      if (kind == Kind::kKeyword || kind == Kind::kSymbol) {
        const Atom* a = c.atom();
        const size_t size = a->size;
        if (size <= kInlineText) {
          *w = ':';
          w += kind == Kind::kKeyword;
          const char* name = a->name().data();
          std::memcpy(w, name, 16);  // names have 16 readable bytes (ast.h)
          if (size > 16) CopyText(w + 16, name + 16, size - 16);
          w += size;
          *w++ = ' ';
          continue;
        }
      } else if (kind == Kind::kString) {
        std::string_view s = c.str();
        if ((c.flags() & Node::kFlagPlainString) && s.size() <= kInlineText) {
          *w++ = '"';
          w = CopyText(w, s.data(), s.size());
          w[0] = '"';
          w[1] = ' ';
          w += 2;
          continue;
        }
      }
      switch (kind) {
        case Kind::kSymbol:
        case Kind::kKeyword:
        case Kind::kString:
        case Kind::kBytes:
          break;  // long or escaped text, byte strings
        case Kind::kInt:
          w = std::to_chars(w, w + kIntRoom, c.as_int()).ptr;
          *w++ = ' ';
          continue;
        case Kind::kFloat:
          if (!std::isfinite(c.as_float())) {
            error_ = Unrepresentable();
            return Finish(w);
          }
          w += FormatFloat(c.as_float(), w);
          *w++ = ' ';
          continue;
        case Kind::kNil:
          std::memcpy(w, "nil ", 4);
          w += 4;
          continue;
        case Kind::kBool:
          if (c.as_bool()) {
            std::memcpy(w, "true ", 5);
            w += 5;
          } else {
            std::memcpy(w, "false ", 6);
            w += 6;
          }
          continue;
        case Kind::kList:
        case Kind::kDict: {
          const uint32_t* order = orderer_.Order(c, &error_);
          if (!error_.ok()) return Finish(w);
          const bool dict = kind == Kind::kDict;
          *w++ = dict ? '{' : '(';
          // Ask memory early for what comes after this list. The reader (and
          // the Builder) allocate a list's element array when the list is
          // complete, so in the arena a list's last descendants lie just
          // before its array: fetch the kPrefetchBehind bytes before the
          // next sibling list's array, and its first line. Measured on the
          // 27 MB feed (an AST larger than the caches): 22 → 17.5 ms per
          // write. Fetching the exact gap after this list's array, or the
          // rest of this list's own array, gained nothing.
          for (const Node* y = cur.next; y < cur.end && y < cur.next + kSiblingLookahead; ++y) {
            if (y->kind() == Kind::kList) {
              const char* array = reinterpret_cast<const char*>(y->items().data());
              for (long off = -kPrefetchBehind; off <= 0; off += kCacheLine) {
                __builtin_prefetch(array + off);
              }
              break;
            }
          }
          stack_.push_back(cur);
          auto items = c.items();
          cur = {items.data(), items.data() + items.size(), dict ? '}' : ')', order != nullptr};
          if (order != nullptr) {
            // Canonical order differs from source order: iterate a copy.
            Node* run = runs_.Push(items.size());
            for (size_t k = 0; k < items.size(); ++k) run[k] = items[order[k]];
            cur.next = run;
            cur.end = run + items.size();
          }
          continue;
        }
      }
      w = WriteOther(c, w);
    }
    return Finish(w);
  }

 private:
  struct Frame {
    const Node* next;
    const Node* end;
    char close;
    bool copied;  // iterating a NodeRuns copy, released when the frame ends
  };
  static constexpr long kSiblingLookahead = 4;  // elements searched for the next list
  static constexpr long kPrefetchBehind = 512;  // bytes fetched before its array
  static constexpr long kCacheLine = 64;
  static constexpr size_t kInlineText = 256;  // longest name or string written inline
  static constexpr size_t kIntRoom = 20;      // "-9223372036854775808"
  // The largest inline atom with its space: ':' + name (copied as 16 bytes
  // at least), or a quoted string.
  static constexpr size_t kAtomRoom = kInlineText + 3 + 16;
  static_assert(kAtomRoom >= kIntRoom + 1 && kAtomRoom >= 32 + 1, "ints and floats fit");

  // Writes an atom the loop does not write inline (it is never a float, so
  // never fails), then its space; returns the new cursor. Out of line, so
  // that the loop's cursor stays in a register.
  [[gnu::noinline]] char* WriteOther(const Node& c, char* w) {
    WriteAtom(c, [&](std::string_view t) { w = out_.PutAt(w, t); });
    return out_.PutAt(w, " ");
  }
  // On success and on error alike the sink gets what was written.
  Error Finish(char* w) {
    out_.Commit(w);
    out_.Flush();
    return error_;
  }

  Orderer orderer_;
  NodeRuns runs_;
  std::vector<Frame> stack_;
  Error error_;
  OutBuffer out_;  // last: 64 KiB, after the members the loop reads
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
