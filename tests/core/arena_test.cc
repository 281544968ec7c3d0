#include "sexp/core/arena.h"

#include <cstdint>
#include <cstring>

#include "gtest/gtest.h"
#include "test_util.h"

namespace sexp {
namespace {

TEST(Arena, BumpAllocatesAlignedAndCounts) {
  Arena a;
  void* p = a.Allocate(3);
  void* q = a.Allocate(5);
  ASSERT_NE(p, nullptr);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 8, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 8, 0u);
  EXPECT_EQ(static_cast<char*>(q) - static_cast<char*>(p), 8);
  ArenaStats st = a.stats();
  EXPECT_EQ(st.bytes_used, 16u);
  EXPECT_EQ(st.slab_count, 1u);
  EXPECT_GE(st.bytes_reserved, 4096u);
}

TEST(Arena, LargeRequestsGetTheirOwnSlab) {
  Arena a;
  a.Allocate(10);
  char* big = static_cast<char*>(a.Allocate(10u << 20));
  ASSERT_NE(big, nullptr);
  std::memset(big, 1, 10u << 20);  // all of it is usable
  EXPECT_EQ(a.stats().slab_count, 2u);
  EXPECT_GE(a.stats().bytes_reserved, 10u << 20);
}

TEST(Arena, ResetReturnsEverythingUpstream) {
  testing::CountingAllocator counting;
  {
    Arena a(counting.hook());
    for (int i = 0; i < 1000; ++i) ASSERT_NE(a.Allocate(100), nullptr);
    EXPECT_GT(counting.outstanding_bytes(), 100000);
    a.Reset();
    EXPECT_EQ(counting.outstanding_bytes(), 0);
    EXPECT_EQ(a.stats().bytes_used, 0u);
    ASSERT_NE(a.Allocate(8), nullptr);  // usable after reset
  }
  EXPECT_EQ(counting.outstanding_bytes(), 0);
  EXPECT_EQ(counting.outstanding_blocks(), 0);
}

TEST(Arena, UpstreamRefusalIsNullNotACrash) {
  testing::CountingAllocator counting;
  counting.FailFrom(2);
  Arena a(counting.hook());
  EXPECT_NE(a.Allocate(16), nullptr);        // first slab
  EXPECT_EQ(a.Allocate(1u << 20), nullptr);  // needs a second one: refused
  EXPECT_NE(a.Allocate(16), nullptr);        // the first slab still serves
  EXPECT_EQ(a.AllocateArray<uint64_t>(~size_t{0} / 4), nullptr);  // overflow
}

TEST(Arena, MoveTransfersSlabs) {
  testing::CountingAllocator counting;
  {
    Arena a(counting.hook());
    char* p = static_cast<char*>(a.Allocate(32));
    std::strcpy(p, "still here");
    Arena b = std::move(a);
    EXPECT_STREQ(p, "still here");
    EXPECT_EQ(a.stats().slab_count, 0u);
    EXPECT_EQ(b.stats().slab_count, 1u);
  }
  EXPECT_EQ(counting.outstanding_bytes(), 0);
}

TEST(Arena, ReserveHintSizesTheNextSlab) {
  Arena a;
  a.ReserveHint(1u << 20);
  a.Allocate(8);
  EXPECT_GE(a.stats().bytes_reserved, 1u << 20);
  EXPECT_EQ(a.stats().slab_count, 1u);
}

}  // namespace
}  // namespace sexp
