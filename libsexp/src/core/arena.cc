// Arena: slabs from one upstream hook, bump allocation inside them.
//
// Slabs double from 4 KiB up to 4 MiB; a request larger than the slab size
// (or a caller's ReserveHint) gets a slab of its own size, so a 100 MB string
// costs one upstream call, not a hundred. Keeping slabs at a few MiB (rather
// than one slab the size of the document) matters for speed: mimalloc keeps
// and reuses segments of that size, while a huge block goes back to the OS on
// free and comes back as fresh zeroed pages (page faults) on the next parse. Under AddressSanitizer the unused
// tail of each slab is poisoned, so reads past an allocation are caught.
#include "sexp/core/arena.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#ifdef SEXP_HAVE_MIMALLOC
#include <mimalloc.h>
#endif

#ifdef SEXP_ARENA_POISONS  // arena.h: built with AddressSanitizer
#include <sanitizer/asan_interface.h>
#endif

namespace sexp {
namespace {

void* DefaultAllocate(void*, size_t size) {
#ifdef SEXP_HAVE_MIMALLOC
  return mi_malloc_aligned(size, 16);
#else
  return std::malloc(size);
#endif
}

void DefaultDeallocate(void*, void* ptr, size_t) {
#ifdef SEXP_HAVE_MIMALLOC
  mi_free(ptr);
#else
  std::free(ptr);
#endif
}

constexpr size_t kMinSlab = 4096;
constexpr size_t kMaxGrowSlab = size_t{4} << 20;

}  // namespace

const Allocator& DefaultAllocator() {
  static const Allocator kDefault{&DefaultAllocate, &DefaultDeallocate,
                                  nullptr};
  return kDefault;
}

struct Arena::Slab {
  Slab* next;
  size_t size;  // total bytes including this header
};

Arena::Arena(const Allocator& upstream) : upstream_(upstream) {}

Arena::~Arena() { Reset(); }

Arena::Arena(Arena&& other) noexcept
    : upstream_(other.upstream_),
      head_(other.head_),
      ptr_(other.ptr_),
      end_(other.end_),
      used_(other.used_),
      reserved_(other.reserved_),
      slabs_(other.slabs_),
      next_slab_hint_(other.next_slab_hint_) {
  other.head_ = nullptr;
  other.ptr_ = other.end_ = nullptr;
  other.used_ = other.reserved_ = other.slabs_ = 0;
}

Arena& Arena::operator=(Arena&& other) noexcept {
  if (this != &other) {
    Reset();
    new (this) Arena(std::move(other));
  }
  return *this;
}

void Arena::Unpoison(void* p, size_t size) {
#ifdef SEXP_ARENA_POISONS
  ASAN_UNPOISON_MEMORY_REGION(p, size);
#else
  (void)p;
  (void)size;
#endif
}

void* Arena::AllocateSlow(size_t size) {
  constexpr size_t kHeader = (sizeof(Slab) + 15) & ~size_t{15};
  size_t grow = slabs_ == 0 ? kMinSlab
                            : std::min(kMaxGrowSlab, kMinSlab << std::min<size_t>(slabs_, 10));
  size_t want = std::max({grow, size + kHeader, next_slab_hint_ + kHeader});
  next_slab_hint_ = 0;
  if (want < size) return nullptr;  // overflow
  void* raw = upstream_.allocate(upstream_.context, want);
  if (raw == nullptr) return nullptr;
  Slab* slab = static_cast<Slab*>(raw);
  slab->next = head_;
  slab->size = want;
  head_ = slab;
  ++slabs_;
  reserved_ += want;
  ptr_ = static_cast<char*>(raw) + kHeader;
  end_ = static_cast<char*>(raw) + want;
#ifdef SEXP_ARENA_POISONS
  ASAN_POISON_MEMORY_REGION(ptr_, end_ - ptr_);
#endif
  void* p = ptr_;
  ptr_ += size;
  used_ += size;
  Unpoison(p, size);
  return p;
}

void Arena::Reset() {
  Slab* s = head_;
  while (s != nullptr) {
    Slab* next = s->next;
    Unpoison(s, s->size);
    upstream_.deallocate(upstream_.context, s, s->size);
    s = next;
  }
  head_ = nullptr;
  ptr_ = end_ = nullptr;
  used_ = reserved_ = slabs_ = 0;
}

ArenaStats Arena::stats() const {
  ArenaStats st;
  st.bytes_used = used_;
  st.bytes_reserved = reserved_;
  st.slab_count = slabs_;
  return st;
}

}  // namespace sexp
