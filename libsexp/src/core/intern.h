// Internal: the interner's name hash and its inline lookup for short names,
// shared by Interner::Intern (ast.cc, which loads the words carefully near
// the end of a buffer) and the reader's fast loop (reader.cc, which knows 16
// bytes are readable and loads them whole).
#ifndef SEXP_SRC_CORE_INTERN_H_
#define SEXP_SRC_CORE_INTERN_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sexp/core/ast.h"

namespace sexp::internal {

// Seeded once per process (ast.cc), so input cannot be crafted to collide.
extern const uint64_t kNameHashSeed;

// 8 bytes at p (unaligned), little-endian.
inline uint64_t LoadWord(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The low n (0..8) bytes of w, the others zero.
inline uint64_t LowBytes(uint64_t w, size_t n) {
  return n >= 8 ? w : w & ((uint64_t{1} << (8 * n)) - 1);
}

inline uint64_t MixWords(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// Hash of a name of 1..16 bytes given as two little-endian words, bytes past
// the name zero (w1 == 0 when n <= 8): one multiply (the wyhash idea).
inline uint32_t HashShortName(uint64_t w0, uint64_t w1, size_t n) {
  uint64_t h = MixWords(w0 ^ kNameHashSeed,
                        w1 ^ (kNameHashSeed >> 7) ^ (n * 0x9E3779B97F4A7C15ull));
  return static_cast<uint32_t>(h ^ (h >> 32));
}

// An atom's size and hash as one word, as they sit in its header.
inline uint64_t AtomKey(uint32_t size, uint32_t hash) {
  return uint64_t{size} | (uint64_t{hash} << 32);
}

}  // namespace sexp::internal

namespace sexp {

// The names of atoms are stored zero-padded to a multiple of 8 bytes and to
// 16 at least (ast.h), so a short name compares as one or two whole words.
[[gnu::always_inline]] inline const Atom* Interner::InternShort(Arena& arena, const char* name, size_t n,
                                         uint64_t w0, uint64_t w1) {
  uint32_t h = internal::HashShortName(w0, w1, n);
  if (capacity_ != 0) {
    const uint64_t key = internal::AtomKey(static_cast<uint32_t>(n), h);
    const size_t mask = capacity_ - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Atom* a = slots_[i];
      if (a == nullptr) break;
      uint64_t header, x0;
      std::memcpy(&header, a, 8);
      std::memcpy(&x0, a + 1, 8);
      if (header == key && x0 == w0) {
        if (n <= 8) return a;
        uint64_t x1;
        std::memcpy(&x1, reinterpret_cast<const char*>(a + 1) + 8, 8);
        if (x1 == w1) return a;
      }
    }
  }
  return Insert(arena, name, n, h);
}

}  // namespace sexp

#endif  // SEXP_SRC_CORE_INTERN_H_
