// sexp/core/arena.h — bump allocation in slabs, over one upstream allocator hook.
//
// Every byte a Document holds comes from its Arena, and every byte an Arena
// holds comes from one `Allocator` hook (mimalloc by default). Tests swap the
// hook for one that fails the Nth call, so every allocation failure path is
// exercised; hosts can swap it to account memory per tenant.
//
//   sexp::Arena arena;                       // mimalloc upstream
//   auto* xs = arena.AllocateArray<int64_t>(100);
//   if (xs == nullptr) { /* upstream refused: report kOutOfMemory */ }
//   arena.stats().bytes_used;                // >= 800
//   arena.Reset();                           // frees every slab
//
// Ownership: an Arena owns its slabs; memory it hands out lives until Reset()
// or destruction, and nothing in it is ever destructed (arena objects must be
// trivially destructible). Not thread-safe.
#ifndef SEXP_CORE_ARENA_H_
#define SEXP_CORE_ARENA_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>

// Under AddressSanitizer the unused tail of each slab is poisoned and every
// allocation unpoisons its bytes; otherwise the fast path makes no call.
#if defined(__SANITIZE_ADDRESS__)
#define SEXP_ARENA_POISONS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SEXP_ARENA_POISONS 1
#endif
#endif

namespace sexp {

// The upstream allocator hook. `allocate` returns nullptr on failure; it must
// return memory aligned to at least 16 bytes. `deallocate` gets the size that
// was asked for.
struct Allocator {
  void* (*allocate)(void* context, size_t size);
  void (*deallocate)(void* context, void* ptr, size_t size);
  void* context;
};

// mimalloc (or malloc when built with SEXP_USE_MIMALLOC=OFF).
const Allocator& DefaultAllocator();

struct ArenaStats {
  size_t bytes_used = 0;      // handed out, including alignment padding
  size_t bytes_reserved = 0;  // held from upstream (all slabs)
  size_t slab_count = 0;
};

class Arena {
 public:
  explicit Arena(const Allocator& upstream = DefaultAllocator());
  ~Arena();
  Arena(Arena&& other) noexcept;
  Arena& operator=(Arena&& other) noexcept;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // `size` bytes aligned to 8, or nullptr when upstream refuses.
  void* Allocate(size_t size) {
    size = (size + 7) & ~size_t{7};
    if (size <= static_cast<size_t>(end_ - ptr_)) {
      void* p = ptr_;
      ptr_ += size;
      used_ += size;
#ifdef SEXP_ARENA_POISONS
      Unpoison(p, size);
#endif
      return p;
    }
    return AllocateSlow(size);
  }

  template <class T>
  T* AllocateArray(size_t n) {
    static_assert(std::is_trivially_destructible_v<T>);
    static_assert(alignof(T) <= 8);
    if (n > (~size_t{0} >> 1) / sizeof(T)) return nullptr;
    return static_cast<T*>(Allocate(n * sizeof(T)));
  }

  // Makes the next slab at least `bytes` large (a hint from callers that know
  // how much they will need, such as the reader sizing by its input).
  void ReserveHint(size_t bytes) { next_slab_hint_ = bytes; }

  // Frees every slab. Memory handed out before is invalid afterwards.
  void Reset();

  ArenaStats stats() const;
  const Allocator& upstream() const { return upstream_; }

 private:
  struct Slab;
  void* AllocateSlow(size_t size);
  static void Unpoison(void* p, size_t size);

  Allocator upstream_;
  Slab* head_ = nullptr;  // newest slab first
  char* ptr_ = nullptr;   // bump pointer in head_
  char* end_ = nullptr;
  size_t used_ = 0;
  size_t reserved_ = 0;
  size_t slabs_ = 0;
  size_t next_slab_hint_ = 0;
};

}  // namespace sexp

#endif  // SEXP_CORE_ARENA_H_
