// Internal: the canonical order of a list's keyword pairs and of a dict's
// keys (spec/canonical.md), for the canonical writer (canonical.cc).
//
// After the head, a keyword followed by another element forms a pair; each
// maximal run of pairs is written sorted by keyword name. Most lists either
// have no pairs or one run that is already sorted; the Orderer checks for
// that first (remembering the order of each list shape it has seen) and,
// when something has to move, hands the writer that order, which then
// writes a copy of the list's elements in it.
//
// Separate from the writer's loop because it is a rule of its own (what to
// sort, how names compare, which repeated key to report) that the loop asks
// about once per list or dict. The split follows the speed: the checks that
// settle most lists and dicts — a remembered shape (OrderList: one mask
// compare and an OR of atom differences) and a dict already in order
// (OrderDict) — are here, forced inline into the loop. In the one writer.cc
// they were inlined unasked; as members of a class shared through a header,
// GCC 12 left them as calls. Working out a new shape's order and sorting a
// dict are in key_order.cc, out of line (FAST_PATH.md, "Canonical writer",
// item 7).
#ifndef SEXP_SRC_CORE_KEY_ORDER_H_
#define SEXP_SRC_CORE_KEY_ORDER_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "sexp/core/ast.h"
#include "sexp/core/error.h"

namespace sexp::internal {

// Canonical element order of one list or dict.
class Orderer {
 public:
  // The canonical order of `n`'s elements as indices into n.items(), or
  // nullptr when source order is canonical (or on error: *error is set, for
  // a repeated key). The array is valid until the next call.
  [[gnu::always_inline]] const uint32_t* Order(const Node& n, Error* error) {
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

  [[gnu::always_inline]] const uint32_t* OrderList(absl::Span<const Node> x, Error* error) {
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
  // nullptr). Out of line (key_order.cc): the writer's loop inlines only the
  // check above.
  [[gnu::noinline]] const uint32_t* OrderNewShape(absl::Span<const Node> x, ShapeEntry* entry,
                                                  Error* error);

  // A dict's order: its keys sorted, keywords before strings, each kind by
  // name. Whether they are in order already (strictly increasing: then no
  // key repeats either) is checked here, inline in the writer's loop as it
  // was when the whole writer was one file; out of line, that cost a
  // document of dicts 1 % more instructions. Sorting is SortDict's.
  [[gnu::always_inline]] const uint32_t* OrderDict(absl::Span<const Node> x, Error* error) {
    keys_.clear();
    for (size_t i = 0; i + 1 < x.size(); i += 2) keys_.push_back(static_cast<uint32_t>(i));
    for (size_t k = 1; k < keys_.size(); ++k) {
      if (!DictKeyLess(x, keys_[k - 1], keys_[k])) return SortDict(x, error);
    }
    return nullptr;
  }
  static bool DictKeyLess(absl::Span<const Node> x, uint32_t a, uint32_t b) {
    const Node& p = x[a];
    const Node& q = x[b];
    if (p.is_keyword() != q.is_keyword()) return p.is_keyword();
    return (p.is_keyword() ? p.name() : p.str()) < (q.is_keyword() ? q.name() : q.str());
  }
  // OrderDict for keys out of order (keys_ holds their slots): a repeated
  // key is an error, else the sorted order. Out of line (key_order.cc).
  const uint32_t* SortDict(absl::Span<const Node> x, Error* error);

  // Records x's shape (keys_ holds its pair slots) in `entry`, if any, with
  // its order (`perm`, n indices, or nullptr for source order); returns the
  // order.
  const uint32_t* Remember(ShapeEntry* entry, absl::Span<const Node> x, const uint32_t* perm);

  std::vector<uint32_t> pool_;
  std::vector<uint32_t> keys_;
  std::vector<uint32_t> run_;
  std::unique_ptr<ShapeEntry[]> shapes_;  // made on first use
};

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_KEY_ORDER_H_
