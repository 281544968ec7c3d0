// The Orderer's work for a list shape it has not seen and for a dict whose
// keys are out of order: finding the pairs, comparing names, sorting runs,
// reporting a repeated key, remembering the shape. Out of line from the
// canonical writer's loop (canonical.cc), which inlines only the checks in
// key_order.h: on the feed nearly every list is a shape seen before, and
// this code out of the loop keeps the loop small (FAST_PATH.md, "Canonical
// writer", item 7).
#include "core/key_order.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/intern.h"
#include "core/keys.h"
#include "core/strutil.h"

namespace sexp::internal {
namespace {

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
    uint64_t x = LoadWord(p + i);
    uint64_t y = LoadWord(q + i);
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

// keys holds key indices into x in source order; returns the first key equal
// to an earlier one by key_of — KeyOf (name and kind) for dicts, the atom
// for a list's keywords (interned per document) — or nullptr. A function of
// this file rather than a member of the Orderer (whose class is shared
// through key_order.h): its lambdas then have internal linkage, so
// FirstRepeatedKey and KeyOf inline into it as they did in writer.cc;
// as a member they stayed calls (~3 % more instructions on a document of
// dicts).
template <class KeyFn>
const Node* FindRepeatedKey(absl::Span<const Node> x, const std::vector<uint32_t>& keys,
                            KeyFn key_of) {
  size_t k = FirstRepeatedKey(x.data(), keys.size(), [&](size_t i) { return keys[i]; }, key_of);
  return k == keys.size() ? nullptr : &x[keys[k]];
}

}  // namespace

// Remember is defined inline, as it was inside the class, so the compiler
// weighs inlining it into OrderNewShape (the page shape's hot path) as
// before.
inline const uint32_t* Orderer::Remember(ShapeEntry* entry, absl::Span<const Node> x,
                                         const uint32_t* perm) {
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

const uint32_t* Orderer::OrderNewShape(absl::Span<const Node> x, ShapeEntry* entry,
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
  if (const Node* dup = FindRepeatedKey(x, keys_, [](const Node& key) { return key.atom(); })) {
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

const uint32_t* Orderer::SortDict(absl::Span<const Node> x, Error* error) {
  if (const Node* dup = FindRepeatedKey(x, keys_, &KeyOf)) {
    *error = DuplicateKeyword(*dup, true);
    return nullptr;
  }
  std::sort(keys_.begin(), keys_.end(),
            [&](uint32_t a, uint32_t b) { return DictKeyLess(x, a, b); });
  pool_.clear();
  for (uint32_t k : keys_) {
    pool_.push_back(k);
    pool_.push_back(k + 1);
  }
  if (x.size() % 2) pool_.push_back(static_cast<uint32_t>(x.size() - 1));
  return pool_.data();
}

}  // namespace sexp::internal
