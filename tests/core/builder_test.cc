#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "sexp/sexp.h"
#include "test_util.h"

namespace sexp {
namespace {

TEST(Builder, BuildsDocumentsThatCanonicalise) {
  Builder b;
  Node note = b.List({b.Symbol("Create"), b.Keyword("id"), b.Int(1), b.Keyword("actor"),
                      b.String("a\"b"), b.List({b.Symbol("Note")}),
                      b.Dict({b.Keyword("z"), b.Float(1.5), b.String("k"), b.Bool(true)}),
                      b.Bytes(std::string("\0\1\2", 3)), b.Nil()});
  auto doc = b.Finish({note});
  ASSERT_TRUE(doc.ok()) << doc.error().ToString();
  EXPECT_EQ(*Canonical(doc->roots()[0]),
            "(Create :actor \"a\\\"b\" :id 1 (Note) {:z 1.5 \"k\" true} #b64\"AAEC\" nil)");
  // No source, so no positions.
  EXPECT_FALSE(doc->position(doc->roots()[0]).known());
}

TEST(Builder, BuiltAndReadDocumentsAreEqual) {
  Builder b;
  Node n = b.List({b.Symbol("p"), b.Keyword("class"), b.String("x"), b.Int(-3),
                   b.Float(0.25)});
  auto built = b.Finish({n});
  auto read = ReadOne("(p :class \"x\" -3 0.25)");
  ASSERT_TRUE(built.ok() && read.ok());
  EXPECT_TRUE(Equal(built->roots()[0], read->roots()[0]));
  auto other = ReadOne("(p :class \"y\" -3 0.25)");
  EXPECT_FALSE(Equal(built->roots()[0], other->roots()[0]));
  EXPECT_EQ(*HashNode(built->roots()[0]), *HashNode(read->roots()[0]));
}

TEST(Builder, RejectsWhatWouldNotReadBack) {
  for (const char* bad : {"", "a b", "12", "-3x", "true", "nil", ":k", "#x", "a(b",
                          "a\"b", "a;b", "a'b", "\xEF\xBB\xBFx", "a\xFF"}) {
    Builder b;
    b.Symbol(bad);
    EXPECT_EQ(b.error().code, ErrorCode::kUnrepresentable) << "'" << bad << "'";
    EXPECT_FALSE(b.Finish({}).ok());
  }
  for (const char* good : {"a", "~card", "-", "->", "café", "a#b", "NaN"}) {
    Builder b;
    b.Symbol(good);
    EXPECT_TRUE(b.error().ok()) << good;
  }
  Builder kw;
  kw.Keyword("");
  EXPECT_FALSE(kw.error().ok());
  Builder f;
  f.Float(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(f.error().code, ErrorCode::kUnrepresentable);
  Builder s;
  s.String("\xFF");
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidUtf8);
  Builder d;
  d.Dict({d.Int(1), d.Int(2)});
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidDict);
}

TEST(Builder, FirstErrorSticks) {
  Builder b;
  b.Symbol("bad name");
  b.Float(INFINITY);
  EXPECT_EQ(b.error().code, ErrorCode::kUnrepresentable);
  EXPECT_NE(b.error().message.find("bad name"), std::string::npos);
}

TEST(Builder, DuplicateDictKeysFailInTheWriter) {
  Builder b;
  Node d = b.Dict({b.Keyword("a"), b.Int(1), b.Keyword("a"), b.Int(2)});
  auto doc = b.Finish({d});
  ASSERT_TRUE(doc.ok());
  auto c = Canonical(doc->roots()[0]);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kDuplicateKey);
}

TEST(Builder, AllMemoryComesFromTheHook) {
  testing::CountingAllocator counting;
  {
    Builder b(counting.hook());
    Node n = b.List({b.Symbol("x"), b.String("y")});
    auto doc = b.Finish({n});
    ASSERT_TRUE(doc.ok());
    EXPECT_GT(counting.outstanding_bytes(), 0);
  }
  EXPECT_EQ(counting.outstanding_bytes(), 0);
}

}  // namespace
}  // namespace sexp
