// Internal: finding a repeated key. The reader checks dict keys with it and
// the canonical writer checks the keywords of a list's keyword pairs (and the
// keys of builder-made dicts), so both report the same key the same way.
#ifndef SEXP_SRC_CORE_KEYS_H_
#define SEXP_SRC_CORE_KEYS_H_

#include <cstddef>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "sexp/core/ast.h"

namespace sexp::internal {

// What a key is compared by: a keyword and a string with the same text are
// different keys, so the kind is part of it.
inline std::pair<bool, std::string_view> KeyOf(const Node& key) {
  return {key.is_keyword(), key.is_keyword() ? key.name() : key.str()};
}

// The keys are items[index(0)], items[index(1)], ... in source order. Returns
// the first k whose key equals an earlier one (the earliest second
// occurrence), or `count` if all differ. Keys compare by key_of(node) (by
// default KeyOf; the keywords of one document may compare by atom, since
// they are interned). Small sets compare pairwise; larger ones use a hash
// set, so a hostile dict with a million keys stays linear.
template <class IndexFn, class KeyFn = decltype(&KeyOf)>
size_t FirstRepeatedKey(const Node* items, size_t count, IndexFn index, KeyFn key_of = &KeyOf) {
  if (count <= 16) {
    for (size_t b = 1; b < count; ++b) {
      auto key = key_of(items[index(b)]);
      for (size_t a = 0; a < b; ++a) {
        if (key_of(items[index(a)]) == key) return b;
      }
    }
    return count;
  }
  absl::flat_hash_set<decltype(key_of(items[0]))> seen;
  seen.reserve(count);
  for (size_t k = 0; k < count; ++k) {
    if (!seen.insert(key_of(items[index(k)])).second) return k;
  }
  return count;
}

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_KEYS_H_
