// Allocation-failure injection: for every N, fail the Nth upstream
// allocation (and all after it) until the operation succeeds. Each failed
// attempt must return kOutOfMemory (never crash, never another error) and
// give every byte back to the allocator.
#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "sexp/sexp.h"
#include "test_util.h"

namespace sexp {
namespace {

std::string BigDocument() {
  // Enough of everything to make every allocation site fire: many distinct
  // atoms (interner growth), long lists (scratch growth), escapes (blobs),
  // bytes, dicts, sugar, and a source copy.
  std::string s = "(root\n";
  for (int i = 0; i < 400; ++i) {
    s += "  (item" + std::to_string(i) + " :id " + std::to_string(i) +
         " :name \"n\\u00e9" + std::to_string(i) + "\" :raw \"plain\" :b #b64\"AAEC\"" +
         " {:k " + std::to_string(i) + "} '(q ,x) [v 1.5])\n";
  }
  return s + ")";
}

void FailEveryAllocationInTurn(const std::string& text, bool copy_source,
                               long min_allocations) {
  long n = 1;
  for (;; ++n) {
    testing::CountingAllocator counting;
    counting.FailFrom(n);
    ReadOptions o;
    o.allocator = &counting.hook();
    o.copy_source = copy_source;
    {
      Result<Document> doc = Read(text, o);
      if (doc.ok()) {
        // Succeeded: nothing was refused, and the document is intact.
        EXPECT_LT(counting.calls(), n);
        ASSERT_EQ(*Canonical(doc->roots()[0]), *Canonical(Read(text)->roots()[0]));
        break;
      }
      ASSERT_EQ(doc.error().code, ErrorCode::kOutOfMemory)
          << "N=" << n << ": " << doc.error().ToString();
    }
    ASSERT_EQ(counting.outstanding_bytes(), 0) << "leak after failing allocation " << n;
    ASSERT_EQ(counting.outstanding_blocks(), 0) << "leak after failing allocation " << n;
    ASSERT_LT(n, 100000) << "never succeeded";
  }
  EXPECT_GE(n, min_allocations) << "fewer allocation sites than expected";
}

TEST(Fault, EveryAllocationFailureIsACleanError) {
  FailEveryAllocationInTurn(BigDocument(), /*copy_source=*/true, 8);
}

TEST(Fault, BorrowedSourceToo) {
  FailEveryAllocationInTurn(BigDocument(), /*copy_source=*/false, 8);
}

TEST(Fault, SmallDocumentsEachKind) {
  for (const char* text : {"a", "\"s\\n\"", "#b64\"AAAA\"", "{:a 1}", "'x", "(a b c)",
                           "[1 2.5 -3]", "#;x y", "(f :k v)"}) {
    SCOPED_TRACE(text);
    FailEveryAllocationInTurn(text, true, 3);
  }
}

TEST(Fault, BuilderReportsOutOfMemory) {
  for (long n = 1; n < 200; ++n) {
    testing::CountingAllocator counting;
    counting.FailFrom(n);
    {
      Builder b(counting.hook());
      std::vector<Node> items;
      for (int i = 0; i < 50; ++i) {
        items.push_back(b.List({b.Symbol("s" + std::to_string(i)), b.String("text"),
                                b.Keyword("k"), b.Bytes("xyz")}));
      }
      Result<Document> doc = b.Finish({b.List(items)});
      if (doc.ok()) break;
      EXPECT_EQ(doc.error().code, ErrorCode::kOutOfMemory);
    }
    ASSERT_EQ(counting.outstanding_bytes(), 0) << n;
  }
}

// HtmlToSx: each failure is a clean out-of-memory, whether
// gumbo or the Builder was refused, and every byte is given back.
TEST(Fault, HtmlToSxEveryAllocationFailureIsACleanError) {
  std::string page = testing::ReadFileOrDie(std::string(SEXP_SOURCE_DIR) +
                                            "/tests/oracles/html/wiki-article.html");
  page += "<form>text moved back into the form</form>";  // its second parse too
  std::string expected = *Canonical(HtmlToSx(page)->roots()[0]);
  for (long n = 1;; ++n) {
    testing::CountingAllocator counting;
    counting.FailFrom(n);
    HtmlReadOptions o;
    o.allocator = &counting.hook();
    {
      Result<Document> doc = HtmlToSx(page, o);
      if (doc.ok()) {
        EXPECT_LT(counting.calls(), n);
        EXPECT_EQ(*Canonical(doc->roots()[0]), expected);
        // gumbo's arena slabs, the document's arena and atom table.
        EXPECT_GE(n, 6) << "fewer allocation sites than expected";
        std::printf("HtmlToSx: %ld upstream allocations, each refused in turn\n", n - 1);
        break;
      }
      ASSERT_EQ(doc.error().code, ErrorCode::kOutOfMemory) << "N=" << n;
      ASSERT_EQ(doc.error().message.empty(), false);
    }
    ASSERT_EQ(counting.outstanding_bytes(), 0) << "leak after failing allocation " << n;
    ASSERT_LT(n, 100000) << "never succeeded";
  }
}

}  // namespace
}  // namespace sexp
