// Reader: node kinds, values, positions, limits and error positions. The
// exhaustive grammar cases live in spec/vectors (spec_vectors_test); these
// tests pin the API behaviour around them.
#include "sexp/core/reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "test_util.h"

namespace sexp {
namespace {

using testing::CanonAll;

const Document& Ok(const Result<Document>& r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  return r.value();
}

TEST(Reader, AtomKindsAndValues) {
  auto r = Read("nil true false #t #f 42 -7 2.5 \"s\" #b64\"aGk=\" sym :kw");
  const Document& doc = Ok(r);
  auto roots = doc.roots();
  ASSERT_EQ(roots.size(), 12u);
  EXPECT_TRUE(roots[0].is_nil());
  EXPECT_TRUE(roots[1].is_bool() && roots[1].as_bool());
  EXPECT_TRUE(roots[2].is_bool() && !roots[2].as_bool());
  EXPECT_TRUE(roots[3].as_bool());
  EXPECT_FALSE(roots[4].as_bool());
  EXPECT_EQ(roots[5].as_int(), 42);
  EXPECT_EQ(roots[6].as_int(), -7);
  EXPECT_DOUBLE_EQ(roots[7].as_float(), 2.5);
  EXPECT_EQ(roots[8].str(), "s");
  EXPECT_EQ(roots[9].bytes(), "hi");
  EXPECT_TRUE(roots[10].is_symbol("sym"));
  EXPECT_TRUE(roots[11].is_keyword());
  EXPECT_EQ(roots[11].name(), "kw");
}

TEST(Reader, ListsBracketsDicts) {
  auto r = ReadOne("(let [a 1 b 2] {:x 1 \"y\" (2)})");
  const Document& doc = Ok(r);
  const Node& let = doc.roots()[0];
  ASSERT_TRUE(let.is_list());
  ASSERT_EQ(let.size(), 3u);
  EXPECT_TRUE(let[1].is_list());
  EXPECT_TRUE(let[1].flags() & Node::kFlagSquare);
  EXPECT_EQ(let[1].size(), 4u);
  ASSERT_TRUE(let[2].is_dict());
  EXPECT_EQ(let[2].size(), 4u);
  EXPECT_EQ(let[2][2].str(), "y");
  EXPECT_EQ(let[2][3][0].as_int(), 2);
}

TEST(Reader, SugarBecomesLongForm) {
  auto r = ReadOne("'(a `b ,c ,@d)");
  const Document& doc = Ok(r);
  const Node& q = doc.roots()[0];
  ASSERT_TRUE(q.is_list());
  EXPECT_TRUE(q.flags() & Node::kFlagSugar);
  EXPECT_TRUE(q[0].is_symbol("quote"));
  const Node& inner = q[1];
  EXPECT_TRUE(inner[1][0].is_symbol("quasiquote"));
  EXPECT_TRUE(inner[2][0].is_symbol("unquote"));
  EXPECT_TRUE(inner[3][0].is_symbol("unquote-splicing"));
  EXPECT_EQ(CanonAll("''x"), "(quote (quote x))");
}

TEST(Reader, CommentsAndDatumComments) {
  EXPECT_EQ(CanonAll("; line\n(a ; tail\n b) #;(skipped (x)) c"), "(a b)\nc");
  EXPECT_EQ(CanonAll("(a #; b c)"), "(a c)");
  EXPECT_EQ(CanonAll("(a #;#;b c d)"), "(a d)");
  EXPECT_EQ(CanonAll("'#;a b"), "(quote b)");
  EXPECT_EQ(CanonAll("{:a #;1 2}"), "{:a 2}");
}

TEST(Reader, SymbolsInterned) {
  auto r = Read("(a b a :a)");
  const Document& doc = Ok(r);
  const Node& l = doc.roots()[0];
  EXPECT_EQ(l[0].atom(), l[2].atom());
  EXPECT_NE(l[0].atom(), l[1].atom());
  // Keywords and symbols share the name table; kinds differ.
  EXPECT_EQ(l[3].atom(), l[0].atom());
  EXPECT_NE(l[3].kind(), l[0].kind());
  EXPECT_EQ(doc.atom_count(), 2u);
}

TEST(Reader, UnusualSymbols) {
  for (const char* s : {"~card", "~plans/x/card", "<>", "raw!", "nil?", "->",
                        "&key", "+", "-", "-a", ".5", "NaN", "Infinity", "a#b",
                        "café", "東京", "a:b"}) {
    auto r = ReadOne(s);
    ASSERT_TRUE(r.ok()) << s << ": " << r.error().ToString();
    EXPECT_TRUE(r->roots()[0].is_symbol(s)) << s;
  }
}

TEST(Reader, ZeroCopyStringsPointIntoSource) {
  std::string text = "(\"plain\" \"esc\\n\")";
  ReadOptions o;
  o.copy_source = false;
  auto r = ReadOne(text, o);
  const Document& doc = Ok(r);
  const Node& l = doc.roots()[0];
  EXPECT_EQ(l[0].str().data(), text.data() + 2);  // no copy
  EXPECT_EQ(l[1].str(), "esc\n");                 // decoded into the arena
  EXPECT_EQ(doc.source().data(), text.data());
}

TEST(Reader, CopiedSourceOutlivesCallerText) {
  Result<Document> r = Read("x");
  {
    std::string text = "(\"kept\" 1)";
    r = Read(text);  // copy_source defaults to true
  }
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->roots()[0][0].str(), "kept");
}

TEST(Reader, StringEscapes) {
  auto r = ReadOne(R"("q\" b\\ n\n t\t r\r u\u00e9 pair\ud83c\udf39 nul\u0000")");
  const Document& doc = Ok(r);
  std::string want = "q\" b\\ n\n t\t r\r u\xC3\xA9 pair\xF0\x9F\x8C\xB9 nul";
  want.push_back('\0');
  EXPECT_EQ(doc.roots()[0].str(), want);
}

TEST(Reader, RawNewlinesAndTabsInStrings) {
  auto r = ReadOne("\"a\nb\tc\rd\"");
  EXPECT_EQ(Ok(r).roots()[0].str(), "a\nb\tc\rd");
}

TEST(Reader, Int64Boundaries) {
  auto r = Read("9223372036854775807 -9223372036854775808 0 -0 1000000000000000000");
  const Document& doc = Ok(r);
  EXPECT_EQ(doc.roots()[0].as_int(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(doc.roots()[1].as_int(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(doc.roots()[2].as_int(), 0);
  EXPECT_EQ(doc.roots()[3].as_int(), 0);
  EXPECT_EQ(doc.roots()[4].as_int(), 1000000000000000000);
  EXPECT_EQ(CanonAll("9223372036854775808"), "ERROR number-out-of-range 1:1");
  EXPECT_EQ(CanonAll("-9223372036854775809"), "ERROR number-out-of-range 1:1");
  EXPECT_EQ(CanonAll("(x 99999999999999999999)"), "ERROR number-out-of-range 1:4");
  // Every power of two near the edge, both signs.
  for (int bits = 1; bits < 63; ++bits) {
    int64_t v = int64_t{1} << bits;
    for (int64_t x : {v - 1, v, v + 1, -v, -v - 1, -v + 1}) {
      auto one = ReadOne(std::to_string(x));
      ASSERT_TRUE(one.ok()) << x;
      EXPECT_EQ(one->roots()[0].as_int(), x);
    }
  }
}

TEST(Reader, Floats) {
  auto r = Read("0.5 -2.5e3 1E2 1e-400 5e-324 1.7976931348623157e308 -0.0");
  const Document& doc = Ok(r);
  EXPECT_EQ(doc.roots()[0].as_float(), 0.5);
  EXPECT_EQ(doc.roots()[1].as_float(), -2500.0);
  EXPECT_EQ(doc.roots()[2].as_float(), 100.0);
  EXPECT_EQ(doc.roots()[3].as_float(), 0.0);  // underflow rounds to zero
  EXPECT_EQ(doc.roots()[4].as_float(), 5e-324);
  EXPECT_EQ(doc.roots()[5].as_float(), 1.7976931348623157e308);
  EXPECT_TRUE(std::signbit(doc.roots()[6].as_float()));
  EXPECT_EQ(CanonAll("1e999"), "ERROR number-out-of-range 1:1");
  EXPECT_EQ(CanonAll("-1e309"), "ERROR number-out-of-range 1:1");
}

// Plain decimals take a fast path (m / 10^places when both are exact); each
// must read as the correctly rounded double std::from_chars gives, on both
// sides of its limits (2^53 for the digits, 22 places, 19 digits).
TEST(Reader, PlainDecimalsReadAsFromChars) {
  auto expect_same = [](const std::string& text) {
    double want = 0;
    ASSERT_EQ(std::from_chars(text.data(), text.data() + text.size(), want).ec, std::errc())
        << text;
    auto one = ReadOne(text);
    ASSERT_TRUE(one.ok()) << text;
    ASSERT_TRUE(one->roots()[0].is_float()) << text;
    double got = one->roots()[0].as_float();
    ASSERT_EQ(std::memcmp(&got, &want, sizeof got), 0) << text;
  };
  std::mt19937_64 rng(2053);
  for (int iter = 0; iter < 300000; ++iter) {
    const int digits = 1 + static_cast<int>(rng() % 20);
    const int places = 1 + static_cast<int>(rng() % std::min(digits, 24));
    std::string text = rng() % 2 ? "-" : "";
    const int int_digits = digits - places;
    if (int_digits == 0) text += "0";
    for (int i = 0; i < int_digits; ++i) {
      text += static_cast<char>('0' + (i == 0 ? 1 + rng() % 9 : rng() % 10));
    }
    text += '.';
    for (int i = 0; i < places; ++i) text += static_cast<char>('0' + rng() % 10);
    expect_same(text);
  }
  const uint64_t two53 = uint64_t{1} << 53;
  for (uint64_t m : {two53 - 1, two53, two53 + 1, two53 + 2, uint64_t{9999999999999999999u}}) {
    for (int places : {1, 5, 15, 19}) {
      expect_same(testing::FixedLayout(false, m, places));
      expect_same(testing::FixedLayout(true, m, places));
    }
  }
  for (const char* text : {"0.0000000000000000000001", "0.00000000000000000000001",
                           "0.1234567890123456789012", "-0.0", "0.0", "1.0", "0.30000000000000004",
                           "9007199254740993.0", "123456789012345678.9"}) {
    expect_same(text);
  }
}

TEST(Reader, InvalidNumbers) {
  for (const char* s : {"01", "1.", "1e", "1e+", "-01", "1a", "1.5.5", "0x10",
                        "1_000", "2e1.5", "-1-"}) {
    EXPECT_EQ(CanonAll(s), "ERROR invalid-number 1:1") << s;
  }
}

TEST(Reader, PositionsOfNodes) {
  std::string text = "(a\n  \"str\" \"e\\n\"\n\t:k 12)";
  auto r = ReadOne(text);
  const Document& doc = Ok(r);
  const Node& l = doc.roots()[0];
  auto pos = [&](const Node& n) {
    Position p = doc.position(n);
    return std::to_string(p.line) + ":" + std::to_string(p.column);
  };
  EXPECT_EQ(pos(l), "1:1");
  EXPECT_EQ(pos(l[0]), "1:2");
  EXPECT_EQ(pos(l[1]), "2:3");  // zero-copy string: derived from its bytes
  EXPECT_EQ(pos(l[2]), "2:9");  // decoded string: stored
  EXPECT_EQ(pos(l[3]), "3:2");  // column counts bytes; a tab is one
  EXPECT_EQ(pos(l[4]), "3:5");
  EXPECT_EQ(doc.position(l[4]).offset, text.find("12"));
}

TEST(Reader, ErrorPositionsNameLineAndColumn) {
  EXPECT_EQ(CanonAll("(a\n (b"), "ERROR unexpected-eof 2:4");
  EXPECT_EQ(CanonAll("(a]"), "ERROR unexpected-close 1:3");
  EXPECT_EQ(CanonAll(")"), "ERROR unexpected-close 1:1");
  EXPECT_EQ(CanonAll("(a '"), "ERROR unexpected-eof 1:5");
  EXPECT_EQ(CanonAll("(a ')"), "ERROR unexpected-close 1:5");
  EXPECT_EQ(CanonAll("\"abc"), "ERROR unexpected-eof 1:5");
  EXPECT_EQ(CanonAll("\"a\\qb\""), "ERROR invalid-escape 1:3");
  EXPECT_EQ(CanonAll("\"\\u12\""), "ERROR invalid-escape 1:2");
  EXPECT_EQ(CanonAll("\"\\u12"), "ERROR unexpected-eof 1:6");
  EXPECT_EQ(CanonAll("\"\\ud83c\\udf3"), "ERROR unexpected-eof 1:13");
  EXPECT_EQ(CanonAll("\"\\ud83c\\udf3\""), "ERROR invalid-escape 1:8");
  EXPECT_EQ(CanonAll("\"x\\udc00\""), "ERROR invalid-surrogate 1:3");
  EXPECT_EQ(CanonAll("\"x\\ud800y\""), "ERROR invalid-surrogate 1:3");
  EXPECT_EQ(CanonAll("\"x\\ud800\\u0041\""), "ERROR invalid-surrogate 1:3");
  EXPECT_EQ(CanonAll("#x"), "ERROR invalid-token 1:1");
  EXPECT_EQ(CanonAll("#t1"), "ERROR invalid-token 1:1");
  EXPECT_EQ(CanonAll("(a : b)"), "ERROR invalid-token 1:4");
  EXPECT_EQ(CanonAll("#b64\"abc\""), "ERROR invalid-base64 1:1");
  EXPECT_EQ(CanonAll("#b64\"YR==\""), "ERROR invalid-base64 1:1");
  EXPECT_EQ(CanonAll("#b64\"YQ"), "ERROR unexpected-eof 1:8");
  EXPECT_EQ(CanonAll("{:a}"), "ERROR invalid-dict 1:4");
  EXPECT_EQ(CanonAll("{1 2}"), "ERROR invalid-dict 1:2");
  EXPECT_EQ(CanonAll("{:a 1\n :a 2}"), "ERROR duplicate-key 2:2");
  EXPECT_EQ(CanonAll("{\"a\" 1 \"a\" 2}"), "ERROR duplicate-key 1:8");
  EXPECT_EQ(CanonAll("{:a 1 \"a\" 2}"), "{:a 1 \"a\" 2}");
  EXPECT_EQ(CanonAll("(a \x01)"), "ERROR invalid-character 1:4");
  EXPECT_EQ(CanonAll("\"a\x01\""), "ERROR invalid-character 1:3");
  EXPECT_EQ(CanonAll("\xEF\xBB\xBF(a)"), "ERROR invalid-character 1:1");
  EXPECT_EQ(CanonAll("(a \x80)"), "ERROR invalid-utf8 1:4");
  EXPECT_EQ(CanonAll("\"\xC0\x80\""), "ERROR invalid-utf8 1:2");
  EXPECT_EQ(CanonAll("; \xED\xA0\x80\n"), "ERROR invalid-utf8 1:3");
  EXPECT_EQ(CanonAll("\xF4\x90\x80\x80"), "ERROR invalid-utf8 1:1");
}

TEST(Reader, ErrorToStringAndStatus) {
  auto r = Read("(a\n b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString().rfind("2:3: unexpected-eof: expected ')'", 0), 0u)
      << r.error().ToString();
  EXPECT_EQ(r.error().ToStatus().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Reader, ReadOneCounts) {
  EXPECT_TRUE(ReadOne("  ; c\n (a) ; d\n").ok());
  auto two = ReadOne("(a)\n  (b)");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().code, ErrorCode::kTrailingInput);
  EXPECT_EQ(two.error().line, 2u);
  EXPECT_EQ(two.error().column, 3u);
  auto none = ReadOne("; nothing\n");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kEmptyInput);
  EXPECT_EQ(none.error().line, 2u);
  EXPECT_TRUE(Read("").ok());
  EXPECT_EQ(Read("")->roots().size(), 0u);
}

TEST(Reader, DepthLimit) {
  ReadOptions o;
  o.max_depth = 3;
  EXPECT_TRUE(Read("(((a)))", o).ok());
  auto r = Read("((('a)))", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kDepthLimit);
  EXPECT_EQ(r.error().column, 4u);  // the sugar that would be level 4
  EXPECT_EQ(r.error().ToStatus().code(), absl::StatusCode::kResourceExhausted);
}

TEST(Reader, SizeLimit) {
  ReadOptions o;
  o.max_size = 10;
  EXPECT_TRUE(Read("(abcdefgh)", o).ok());
  auto r = Read("(abcdefghi)", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSizeLimit);
  EXPECT_EQ(r.error().offset, 10u);
  EXPECT_EQ(r.error().column, 11u);
}

TEST(Reader, ArenaHoldsEverything) {
  auto r = Read("(a \"b\\n\" (c d) #b64\"AAAA\")");
  const Document& doc = Ok(r);
  ArenaStats st = doc.arena_stats();
  EXPECT_GT(st.bytes_used, 0u);
  EXPECT_GE(st.bytes_reserved, st.bytes_used);
  EXPECT_GE(st.slab_count, 1u);
}

TEST(Reader, DocumentMoveKeepsViews) {
  auto r = Read("(alpha \"beta\" (gamma))");
  ASSERT_TRUE(r.ok());
  std::string_view alpha = r->roots()[0][0].name();
  Document moved = std::move(r).value();
  Document again = std::move(moved);
  EXPECT_EQ(again.roots()[0][0].name(), alpha);
  EXPECT_EQ(again.roots()[0][0].name().data(), alpha.data());
  EXPECT_EQ(again.roots()[0][1].str(), "beta");
  EXPECT_EQ(again.position(again.roots()[0][2]).column, 15u);
}

}  // namespace
}  // namespace sexp
