// Hostile input: each case must end in a clear error (or a correct result),
// never a crash, a hang or a stack overflow; the process stays usable after.
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "sexp/sexp.h"
#include "test_util.h"

namespace sexp {
namespace {

TEST(Hostile, MillionNestedOpenersHitTheDepthLimit) {
  std::string text(1000000, '(');
  auto r = Read(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kDepthLimit);
  EXPECT_EQ(r.error().column, 1025u);  // the opener that would be level 1025
}

TEST(Hostile, MillionNestedOpenersWithoutALimitAreUnexpectedEof) {
  std::string text(1000000, '(');
  ReadOptions o;
  o.max_depth = 2000000;
  auto r = Read(text, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnexpectedEof);
}

TEST(Hostile, MillionDeepDocumentReadsWritesHashesAndFormats) {
  const size_t depth = 1000000;
  std::string text(depth, '(');
  text += "x";
  text.append(depth, ')');
  ReadOptions o;
  o.max_depth = depth;
  auto r = Read(text, o);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  auto c = Canonical(r->roots()[0]);  // iterative writer: no stack overflow
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, text);
  EXPECT_TRUE(HashNode(r->roots()[0]).ok());
  auto f = Format(*r);
  ASSERT_TRUE(f.ok());
  auto b = ReadOne("(a)");
  EXPECT_TRUE(Equal(r->roots()[0], r->roots()[0]));  // iterative Equal
}

TEST(Hostile, DeepSugarAndDatumComments) {
  EXPECT_EQ(Read(std::string(1000000, '\'')).error().code, ErrorCode::kDepthLimit);
  std::string comments;
  for (int i = 0; i < 500000; ++i) comments += "#;";
  EXPECT_EQ(Read(comments).error().code, ErrorCode::kDepthLimit);
  std::string many;  // sequential (not nested) datum comments are fine
  for (int i = 0; i < 100000; ++i) many += "#;x ";
  EXPECT_TRUE(Read(many + "y").ok());
}

TEST(Hostile, EveryTruncationOfADocumentIsACleanError) {
  std::string doc =
      "(Create :id \"https://x/1\" :summary \"caf\\u00e9 \\ud83c\\udf39 \\\"q\\\"\"\n"
      " :n -12 :f 1.5e-7 :b #b64\"AAEC\" :d {:a [1 2] \"s\" 'q} #;(skip) :t #t)";
  ASSERT_TRUE(Read(doc).ok());
  for (size_t len = 0; len < doc.size(); ++len) {
    std::string prefix = doc.substr(0, len);
    auto r = Read(prefix);
    if (r.ok()) continue;  // e.g. the empty prefix
    EXPECT_LE(r.error().offset, len) << prefix;
    EXPECT_GE(r.error().line, 1u);
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(Hostile, InvalidUtf8AndLoneSurrogates) {
  for (std::string bad : {std::string("\"\x80\""), std::string("(a\xC3)"),
                          std::string("\xE2\x82"), std::string("\"\xF0\x9F\x8C\""),
                          std::string("\xC0\xAF"), std::string("\xED\xB0\x80"),
                          std::string("\xF8\x88\x80\x80\x80"), std::string(";\xFF\n")}) {
    auto r = Read(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.error().code == ErrorCode::kInvalidUtf8) << r.error().ToString();
  }
  for (const char* bad : {R"("\ud800")", R"("\udfff")", R"("\udc00\ud800")",
                          R"("\ud800\ud800")", R"("\ud800x")"}) {
    auto r = Read(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidSurrogate) << bad;
  }
}

TEST(Hostile, HugeNumbersAndNonNumbers) {
  EXPECT_EQ(Read(std::string(10000, '9')).error().code, ErrorCode::kNumberOutOfRange);
  EXPECT_EQ(Read("1" + std::string(400, '0') + ".0").error().code,
            ErrorCode::kNumberOutOfRange);
  EXPECT_EQ(Read("1e999").error().code, ErrorCode::kNumberOutOfRange);
  EXPECT_EQ(Read("-1e999").error().code, ErrorCode::kNumberOutOfRange);
  // A 10 000-digit fraction is a fine double.
  auto frac = Read("0." + std::string(10000, '3'));
  ASSERT_TRUE(frac.ok());
  EXPECT_EQ(*Canonical(frac->roots()[0]), "0.3333333333333333");
  // NaN and Infinity are symbols, never floats: no NaN can enter a document.
  auto sym = Read("NaN Infinity -Infinity nan inf");
  ASSERT_TRUE(sym.ok());
  for (const Node& n : sym->roots()) EXPECT_TRUE(n.is_symbol());
}

TEST(Hostile, HundredMegabyteString) {
  std::string text = "\"" + std::string(100u << 20, 'a') + "\"";
  auto limited = Read(text);  // default max_size is 64 MiB
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().code, ErrorCode::kSizeLimit);
  ReadOptions o;
  o.max_size = 200u << 20;
  o.copy_source = false;
  auto r = Read(text, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->roots()[0].str().size(), 100u << 20);
  text.pop_back();  // now unterminated
  auto t = Read(text, o);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kUnexpectedEof);
}

TEST(Hostile, RandomBytesNeverCrash) {
  std::mt19937_64 rng(1);
  const std::string alphabet = "()[]{}\"\\;'`,@#:b64tfu0123456789.eE-+ \n\tabc\x80\xC3\xA9\x01";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    size_t len = rng() % 64;
    for (size_t k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
    auto r = Read(s);
    if (r.ok()) {
      EXPECT_EQ(testing::CheckRoundTrip(*r), "") << s;
    } else {
      EXPECT_LE(r.error().offset, s.size());
      EXPECT_NE(r.error().code, ErrorCode::kOk);
    }
  }
}

}  // namespace
}  // namespace sexp
