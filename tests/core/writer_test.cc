// Canonical writer and pretty-printer.
#include "sexp/core/writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sexp/core/address.h"
#include "sexp/core/ast.h"
#include "sexp/core/reader.h"
#include "test_util.h"

namespace sexp {
namespace {

using testing::CanonAll;

std::string Float(double v) {
  char buf[32];
  return std::string(buf, FormatFloat(v, buf));
}

TEST(Canonical, Spacing) {
  EXPECT_EQ(CanonAll("  ( a\t\n b   ( c )  )  "), "(a b (c))");
  EXPECT_EQ(CanonAll("()"), "()");
  EXPECT_EQ(CanonAll("[ ]"), "()");
  EXPECT_EQ(CanonAll("{ }"), "{}");
}

TEST(Canonical, KeywordRunsSortWithoutCrossingOtherElements) {
  EXPECT_EQ(CanonAll("(Create :id 1 :actor a (Note))"), "(Create :actor a :id 1 (Note))");
  EXPECT_EQ(CanonAll("(cond (> x 1) \"a\" :else \"b\")"), "(cond (> x 1) \"a\" :else \"b\")");
  EXPECT_EQ(CanonAll("(f :z 1 :y 2 x :b 3 :a 4)"), "(f :y 2 :z 1 x :a 4 :b 3)");
  // A keyword may be a value; a trailing keyword is an ordinary element.
  EXPECT_EQ(CanonAll("(f :c 1 :a :b)"), "(f :a :b :c 1)");
  EXPECT_EQ(CanonAll("(f :b 1 :a)"), "(f :b 1 :a)");
  // The head never pairs.
  EXPECT_EQ(CanonAll("(:k :b 1 :a 2)"), "(:k :a 2 :b 1)");
  // Bytewise order: uppercase before lowercase, ASCII before multi-byte.
  EXPECT_EQ(CanonAll("(f :é 1 :b 2 :B 3)"), "(f :B 3 :b 2 :é 1)");
  // Nested lists are canonicalised too.
  EXPECT_EQ(CanonAll("(a (b :y 1 :x 2) {:q 1 :p 2})"), "(a (b :x 2 :y 1) {:p 2 :q 1})");
}

TEST(Canonical, DuplicateKeywordsAreErrors) {
  EXPECT_EQ(CanonAll("(f :a 1 :b 2 :a 3)"), "ERROR duplicate-key 1:14");
  EXPECT_EQ(CanonAll("(f :a 1 x :a 3)"), "ERROR duplicate-key 1:11");
  // Not pairs: a trailing keyword, the head, keywords as values.
  EXPECT_EQ(CanonAll("(f :a 1 :a)"), "(f :a 1 :a)");
  EXPECT_EQ(CanonAll("(:a :a 1)"), "(:a :a 1)");
  EXPECT_EQ(CanonAll("(f :b :a :a 1)"), "(f :a 1 :b :a)");
}

TEST(Canonical, DuplicatesAmongManyPairsAndKeys) {
  // More than 16 keys takes the hash-set path of the duplicate search.
  std::string list = "(f";
  std::string dict = "{";
  for (int i = 40; i > 0; --i) {
    list += " :k" + std::to_string(i) + " " + std::to_string(i);
    dict += " \"s" + std::to_string(i) + "\" " + std::to_string(i);
  }
  EXPECT_EQ(CanonAll(list + ")").substr(0, 16), "(f :k1 1 :k10 10");
  EXPECT_EQ(CanonAll(list + " :k7 0)"), "ERROR duplicate-key 1:" + std::to_string(list.size() + 2));
  EXPECT_EQ(CanonAll(dict + "}").substr(0, 12), "{\"s1\" 1 \"s10");
  EXPECT_EQ(CanonAll(dict + " \"s7\" 0}"),
            "ERROR duplicate-key 1:" + std::to_string(dict.size() + 2));
  // Builder-made dicts reach the writer's check (the reader rejects these).
  Builder b;
  std::vector<Node> kv;
  for (int i = 0; i < 20; ++i) {
    kv.push_back(b.Keyword("k" + std::to_string(i % 19)));
    kv.push_back(b.Int(i));
  }
  auto doc = b.Finish({b.Dict(kv)});
  ASSERT_TRUE(doc.ok());
  auto c = Canonical(doc->roots()[0]);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kDuplicateKey);
  EXPECT_NE(c.error().message.find(":k0"), std::string::npos) << c.error().message;
}

TEST(Canonical, DictOrderKeywordsThenStrings) {
  EXPECT_EQ(CanonAll("{\"b\" 1 :z 2 \"a\" 3 :y 4}"), "{:y 4 :z 2 \"a\" 3 \"b\" 1}");
}

TEST(Canonical, StringEscapes) {
  EXPECT_EQ(CanonAll(R"("a\"b\\c\nd\te\rf\u0001\u001f\u007f\u00e9")"),
            "\"a\\\"b\\\\c\\nd\\te\\rf\\u0001\\u001f\x7f\xC3\xA9\"");
  EXPECT_EQ(CanonAll("\"raw\ttab\"") , "\"raw\\ttab\"");
  EXPECT_EQ(CanonAll(R"("\ud83c\udf39")"), "\"\xF0\x9F\x8C\xB9\"");
}

TEST(Canonical, AtomsAndSugar) {
  EXPECT_EQ(CanonAll("#t #f true false nil -0 007.5"), "ERROR invalid-number 1:25");
  EXPECT_EQ(CanonAll("#t #f true false nil -0"), "true\nfalse\ntrue\nfalse\nnil\n0");
  EXPECT_EQ(CanonAll("'a `(b ,c ,@d)"),
            "(quote a)\n(quasiquote (b (unquote c) (unquote-splicing d)))");
  EXPECT_EQ(CanonAll("#b64\"\" #b64\"YQ==\" #b64\"YWI=\" #b64\"YWJj\""),
            "#b64\"\"\n#b64\"YQ==\"\n#b64\"YWI=\"\n#b64\"YWJj\"");
}

TEST(Canonical, FloatsFollowEcmaScript) {
  EXPECT_EQ(Float(1.0), "1.0");
  EXPECT_EQ(Float(100.0), "100.0");
  EXPECT_EQ(Float(0.1), "0.1");
  EXPECT_EQ(Float(1e-7), "1e-7");
  EXPECT_EQ(Float(1.5e-7), "1.5e-7");
  EXPECT_EQ(Float(0.000001), "0.000001");
  EXPECT_EQ(Float(1e21), "1e+21");
  EXPECT_EQ(Float(1e20), "100000000000000000000.0");
  EXPECT_EQ(Float(123456789012345680000.0), "123456789012345680000.0");
  EXPECT_EQ(Float(1.5e300), "1.5e+300");
  EXPECT_EQ(Float(-0.0), "0.0");
  EXPECT_EQ(Float(0.0), "0.0");
  EXPECT_EQ(Float(-2.5), "-2.5");
  EXPECT_EQ(Float(5e-324), "5e-324");
  EXPECT_EQ(Float(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(Float(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(Float(123.456), "123.456");
  EXPECT_EQ(Float(-1e-7), "-1e-7");
  EXPECT_EQ(CanonAll("1e2 1E5 2.5e+2 0.1e1 1e-400"), "100.0\n100000.0\n250.0\n1.0\n0.0");
}

// Significant digits of a float text: no sign, point, exponent, or leading
// and trailing zeros.
std::string SignificantDigits(std::string_view text) {
  std::string d;
  for (char c : text) {
    if (c == 'e' || c == 'E') break;
    if (c >= '0' && c <= '9') d += c;
  }
  d.erase(0, std::min(d.find_first_not_of('0'), d.size()));
  while (!d.empty() && d.back() == '0') d.pop_back();
  return d;
}

// Float(v) reads back as v and has the shortest digits (std::to_chars's).
::testing::AssertionResult ShortestAndReadsBack(double v) {
  std::string got = Float(v);
  double back = 0;
  if (std::from_chars(got.data(), got.data() + got.size(), back).ec != std::errc() || back != v) {
    return ::testing::AssertionFailure() << got << " does not read back";
  }
  char sci[40];
  auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  std::string want = SignificantDigits(std::string_view(sci, r.ptr - sci));
  if (SignificantDigits(got) != want) {
    return ::testing::AssertionFailure() << got << " has other digits than " << want;
  }
  return ::testing::AssertionSuccess();
}

TEST(Canonical, ShortDecimalsAndTheirNeighbours) {
  // Short decimals take a fast path (m / 10^d == v); each must give the
  // decimal it was read from. Their ulp neighbours must not: they need the
  // general shortest-digits search, whose digits std::to_chars confirms.
  std::mt19937_64 rng(97401);
  int fixed = 0;
  for (int iter = 0; iter < 200000; ++iter) {
    int sig = 1 + static_cast<int>(rng() % 15);
    uint64_t m = 1 + rng() % 9;
    for (int i = 1; i < sig; ++i) m = m * 10 + rng() % 10;
    int places = static_cast<int>(rng() % 13);
    if (places > 0 && m % 10 == 0) m += 1 + rng() % 9;  // no trailing zero after the point
    bool negative = rng() % 2;
    std::string text = testing::FixedLayout(negative, m, places);
    double v = 0;
    ASSERT_EQ(std::from_chars(text.data(), text.data() + text.size(), v).ec, std::errc());
    if (std::fabs(v) < 1e-6 || std::fabs(v) >= 1e21) continue;
    ++fixed;
    ASSERT_EQ(Float(v), text) << text;
    for (double n : {std::nextafter(v, INFINITY), std::nextafter(v, -INFINITY)}) {
      ASSERT_TRUE(ShortestAndReadsBack(n)) << "neighbour of " << text;
    }
  }
  EXPECT_GT(fixed, 150000);
  // Doubles drawn near the fast path's limit for each number of places
  // (|v| * 10^d just under 2^50, where its rounding argument is tightest)
  // must have std::to_chars's shortest digits.
  for (int iter = 0; iter < 200000; ++iter) {
    int d = static_cast<int>(rng() % 10);
    double hi = std::ldexp(1.0, 50) / std::pow(10.0, d);
    double v = hi * (0.05 + 0.95 * std::ldexp(static_cast<double>(rng() >> 11), -53));
    ASSERT_TRUE(ShortestAndReadsBack(v));
  }
  // The edges of the fast path: 2^50 and the integers below it, 1e-6, nine
  // and ten decimal places.
  EXPECT_EQ(Float(1125899906842624.0), "1125899906842624.0");
  EXPECT_EQ(Float(1125899906842623.0), "1125899906842623.0");
  EXPECT_EQ(Float(1125899906842623.5), "1125899906842623.5");
  EXPECT_EQ(Float(112589990684262.35), "112589990684262.34");
  EXPECT_EQ(Float(0.000001), "0.000001");
  EXPECT_EQ(Float(0.000001234), "0.000001234");
  EXPECT_EQ(Float(0.0000012345), "0.0000012345");
  EXPECT_EQ(Float(0.123456789), "0.123456789");
  EXPECT_EQ(Float(0.1234567891), "0.1234567891");
  EXPECT_EQ(Float(97.401), "97.401");
  EXPECT_EQ(Float(-75.7), "-75.7");
  // Trailing zeros of the scaled integer, dropped a word at a time: none,
  // fewer than eight, exactly eight, nine (all places), and integers whose
  // own zeros must stay.
  EXPECT_EQ(Float(0.123456781), "0.123456781");
  EXPECT_EQ(Float(0.12345), "0.12345");
  EXPECT_EQ(Float(0.1), "0.1");
  EXPECT_EQ(Float(1.1), "1.1");
  EXPECT_EQ(Float(7.0), "7.0");
  EXPECT_EQ(Float(100.0), "100.0");
  EXPECT_EQ(Float(1000000.0), "1000000.0");
  EXPECT_EQ(Float(100000000.0), "100000000.0");
  EXPECT_EQ(Float(120000.5), "120000.5");
  EXPECT_EQ(Float(-1000.001), "-1000.001");
  EXPECT_EQ(Float(std::nextafter(0.3, 1.0)), "0.30000000000000004");
  EXPECT_EQ(Float(std::nextafter(0.3, 0.0)), "0.29999999999999993");
}

// Reference keyword-pair ordering (spec/canonical.md §5), written the plain
// way over element texts: the writer's fast paths (already-sorted runs, the
// shape cache, permutations) must agree with it on every list.
std::string ReferenceList(const std::vector<std::string>& el) {
  std::vector<std::string> out(el);
  auto is_kw = [&](size_t i) { return el[i][0] == ':'; };
  for (size_t i = 1; i < el.size();) {
    if (!(is_kw(i) && i + 1 < el.size())) {
      ++i;
      continue;
    }
    size_t start = i;
    std::vector<std::pair<std::string, std::string>> run;
    while (i < el.size() && is_kw(i) && i + 1 < el.size()) {
      run.emplace_back(el[i], el[i + 1]);
      i += 2;
    }
    std::stable_sort(run.begin(), run.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t k = 0; k < run.size(); ++k) {
      out[start + 2 * k] = run[k].first;
      out[start + 2 * k + 1] = run[k].second;
    }
  }
  std::string s = "(";
  for (size_t i = 0; i < out.size(); ++i) s += (i ? " " : "") + out[i];
  return s + ")";
}

// Canonical form written the plain way (recursion, std::string, stable_sort
// over element texts), with its own string escaping: the writer's buffered
// loop, reordered copies and flush boundaries must give exactly this.
std::string PlainCanonical(const Node& n) {
  switch (n.kind()) {
    case Kind::kNil: return "nil";
    case Kind::kBool: return n.as_bool() ? "true" : "false";
    case Kind::kInt: return std::to_string(n.as_int());
    case Kind::kFloat: return Float(n.as_float());
    case Kind::kSymbol: return std::string(n.name());
    case Kind::kKeyword: return ":" + std::string(n.name());
    case Kind::kBytes: return *Canonical(n);
    case Kind::kString: return testing::PlainQuoted(n.str());
    case Kind::kList:
    case Kind::kDict: {
      auto x = n.items();
      std::vector<std::string> el;
      for (const Node& c : x) el.push_back(PlainCanonical(c));
      if (!n.is_dict()) return ReferenceList(el);
      // Keyword keys first (sorted by name), then string keys by text.
      std::vector<std::pair<std::string, std::string>> pairs;
      for (size_t i = 0; i + 1 < x.size(); i += 2) {
        std::string key = x[i].is_keyword() ? "0" + std::string(x[i].name())
                                            : "1" + std::string(x[i].str());
        pairs.emplace_back(key, el[i] + " " + el[i + 1]);
      }
      std::sort(pairs.begin(), pairs.end());
      std::string body;
      for (auto& [k, t] : pairs) body += (body.empty() ? "" : " ") + t;
      return "{" + body + "}";
    }
  }
  return "?";
}

// A sink that keeps what it is given and counts the chunks.
struct Chunks : ByteSink {
  std::string all;
  size_t count = 0;
  bool Write(std::string_view c) override {
    all.append(c);
    ++count;
    return true;
  }
};

// Random documents of every size class the writer treats differently: names
// and strings of 0..16, 17..48, 49..256 and longer bytes, escaped strings,
// byte strings, lists of repeating and changing keyword shapes (reordered
// copies), dicts, nesting; big enough that closers and spaces fall at every
// offset of the writer's 64 KiB buffer.
class SizedTrees {
 public:
  explicit SizedTrees(uint64_t seed) : rng_(seed) {}
  Node Tree(Builder& b, int depth) {
    switch (depth <= 0 ? rng_() % 7 : rng_() % 10) {
      case 0: return b.Int(static_cast<int64_t>(rng_()) >> (rng_() % 64));
      case 1: return b.Float(static_cast<double>(rng_() % 100000) / 1000.0);
      case 2: return b.Symbol(Name());
      case 3: return b.Keyword(Name());
      case 4: return b.String(Text());
      case 5: return rng_() % 8 ? b.String(Text()) : b.Bytes(Text());
      case 6: return rng_() % 2 ? b.Nil() : b.Bool(rng_() % 2);
      case 7: return Dict(b, depth);
      default: return List(b, depth);
    }
  }

 private:
  size_t Length() {
    switch (rng_() % 8) {
      case 0: return rng_() % 17;
      case 1: case 2: return 17 + rng_() % 32;
      case 3: return 49 + rng_() % 208;
      case 4: return 257 + rng_() % 2000;
      default: return rng_() % 12;
    }
  }
  std::string Name() {
    size_t n = 1 + Length();
    std::string s;
    for (size_t i = 0; i < n; ++i) s += static_cast<char>('a' + rng_() % 26);
    return s;
  }
  std::string Text() {
    size_t n = Length();
    std::string s;
    for (size_t i = 0; i < n; ++i) {
      uint64_t r = rng_() % 40;
      s += r == 0 ? '"' : r == 1 ? '\n' : r == 2 ? '\x01' : static_cast<char>('a' + r % 26);
    }
    return s;
  }
  Node List(Builder& b, int depth) {
    std::vector<Node> items{b.Symbol(Name())};
    std::vector<std::string> keys;
    size_t n = rng_() % 9;
    for (size_t i = 0; i < n; ++i) {
      if (rng_() % 2) {
        // Keywords from a small set, so shapes repeat; never twice in a list.
        std::string k = std::string(1, static_cast<char>('a' + rng_() % 6));
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
          keys.push_back(k);
          items.push_back(b.Keyword(k));
          items.push_back(Tree(b, depth - 1));
          continue;
        }
      }
      Node t = Tree(b, depth - 1);
      items.push_back(t.is_keyword() ? b.Symbol("k") : t);
    }
    return b.List(items);
  }
  Node Dict(Builder& b, int depth) {
    std::vector<Node> items;
    std::vector<std::string> keys;
    size_t n = rng_() % 6;
    for (size_t i = 0; i < n; ++i) {
      bool kw = rng_() % 2;
      std::string k = (kw ? "k" : "s") + std::to_string(rng_() % 8);
      if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
      keys.push_back(k);
      items.push_back(kw ? b.Keyword(k) : b.String(k));
      items.push_back(Tree(b, depth - 1));
    }
    return b.Dict(items);
  }
  std::mt19937_64 rng_;
};

TEST(Canonical, MatchesPlainWriterAcrossBufferBoundaries) {
  SizedTrees gen(2026);
  size_t big = 0;
  for (int doc = 0; doc < 60; ++doc) {
    Builder b;
    std::vector<Node> items{b.Symbol("root")};
    size_t n = doc < 40 ? 1 + doc % 5 : 300;
    for (size_t i = 0; i < n; ++i) items.push_back(gen.Tree(b, 5));
    auto built = b.Finish({b.List(items)});
    ASSERT_TRUE(built.ok()) << built.error().ToString();
    const Node& root = built->roots()[0];
    std::string want = PlainCanonical(root);
    Chunks chunks;
    ASSERT_TRUE(WriteCanonical(root, chunks).ok());
    ASSERT_EQ(chunks.all.size(), want.size());
    ASSERT_EQ(chunks.all, want);
    ASSERT_EQ(HashNode(root)->bytes, Sha3_256(want).bytes);
    if (chunks.count > 1) ++big;
    // The same text read back is already canonical.
    auto back = ReadOne(want);
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(*Canonical(back->roots()[0]), want);
  }
  EXPECT_GE(big, 15u);
  {
    // Long runs of closers cross the buffer's end: each must still replace
    // the space after the last element, also when a flush kept that space.
    Builder nb;
    const size_t depth = 150000;
    Node inner = nb.Symbol("a");
    for (size_t i = 0; i < depth; ++i) inner = nb.List({nb.Symbol("a"), inner});
    auto nested = nb.Finish({inner});
    ASSERT_TRUE(nested.ok());
    std::string want;
    for (size_t i = 0; i < depth; ++i) want += "(a ";
    want += "a" + std::string(depth, ')');
    Chunks chunks;
    ASSERT_TRUE(WriteCanonical(nested->roots()[0], chunks).ok());
    EXPECT_GT(chunks.count, 4u);
    EXPECT_EQ(chunks.all, want);
  }
  // A string longer than the buffer, between short elements.
  Builder b;
  std::string huge(200000, 'x');
  huge[100000] = '\n';
  auto built = b.Finish({b.List({b.Symbol("a"), b.String(huge), b.Keyword("k"), b.Int(1)})});
  ASSERT_TRUE(built.ok());
  Chunks chunks;
  ASSERT_TRUE(WriteCanonical(built->roots()[0], chunks).ok());
  EXPECT_EQ(chunks.all, PlainCanonical(built->roots()[0]));
  // The same through the reader, whose plain strings take the other path.
  std::string text = "(a \"" + std::string(200000, 'y') + "\" :k (b))";
  auto read = ReadOne(text);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->roots()[0][1].flags() & Node::kFlagPlainString);
  EXPECT_EQ(*Canonical(read->roots()[0]), text);
  EXPECT_EQ(PlainCanonical(read->roots()[0]), text);
}

TEST(Canonical, StreamsInChunks) {
  // A document larger than the writer's buffer arrives in several chunks
  // whose concatenation is the canonical text.
  std::string text = "(";
  for (int i = 0; i < 20000; ++i) text += "(item :n " + std::to_string(i) + " \"text\") ";
  text += ")";
  auto doc = ReadOne(text);
  ASSERT_TRUE(doc.ok());
  Chunks chunks;
  ASSERT_TRUE(WriteCanonical(doc->roots()[0], chunks).ok());
  EXPECT_GT(chunks.count, 1u);
  EXPECT_EQ(chunks.all, *Canonical(doc->roots()[0]));
}

TEST(Canonical, KeywordOrderMatchesReferenceOverRepeatedShapes) {
  // Lists drawn from few keywords and few lengths, so shapes repeat (the
  // writer reuses the order of a shape it has seen) and also differ only in
  // one key or one slot. Duplicate keys must still be reported every time.
  std::mt19937 rng(12345);
  const char* kKeys[] = {":a", ":b", ":c", ":d", ":id", ":actor"};
  const char* kValues[] = {"1", "x", "\"s\"", "(q :b 2 :a 1)", ":a"};
  std::string all = "(";
  std::string expected = "(";
  int duplicates = 0;
  for (int n = 0; n < 3000; ++n) {
    std::vector<std::string> el{"f"};
    size_t len = 1 + rng() % 8;
    for (size_t i = 0; i < len; ++i) {
      el.push_back(rng() % 3 ? kKeys[rng() % 6] : kValues[rng() % 5]);
    }
    std::string text = "(";
    for (size_t i = 0; i < el.size(); ++i) text += (i ? " " : "") + el[i];
    text += ")";
    // Canonical form of values such as (q :b 2 :a 1) is computed by the
    // reference too: substitute them before comparing.
    std::vector<std::string> canon_el;
    for (const std::string& e : el) {
      canon_el.push_back(e == "(q :b 2 :a 1)" ? "(q :a 1 :b 2)" : e);
    }
    std::string got = CanonAll(text);
    // Pair keys, in source order, to see whether a key repeats.
    std::vector<std::string> keys;
    for (size_t i = 1; i < el.size();) {
      if (el[i][0] == ':' && i + 1 < el.size()) {
        keys.push_back(el[i]);
        i += 2;
      } else {
        ++i;
      }
    }
    std::vector<std::string> sorted_keys(keys);
    std::sort(sorted_keys.begin(), sorted_keys.end());
    bool dup = std::adjacent_find(sorted_keys.begin(), sorted_keys.end()) != sorted_keys.end();
    if (dup) {
      ++duplicates;
      EXPECT_EQ(got.rfind("ERROR duplicate-key", 0), 0u) << text << " -> " << got;
    } else {
      EXPECT_EQ(got, ReferenceList(canon_el)) << text;
      all += text + " ";
      expected += ReferenceList(canon_el) + " ";
    }
  }
  EXPECT_GT(duplicates, 100);
  // The same lists inside one document, so one writer call sees them all.
  all.back() = ')';
  expected.back() = ')';
  EXPECT_EQ(CanonAll(all), expected);
}

TEST(Canonical, KeywordOrderIsBytewiseForNamesSharingLongPrefixes) {
  // Names are compared 16 bytes at a time first; prefixes of each other,
  // names equal in their first 8 or 16 bytes, and multi-byte UTF-8 must all
  // still sort bytewise (checked against std::string's order).
  std::mt19937 rng(16);
  const std::vector<std::string> kPieces = {"a", "b", "é", "~", "-", "aaaaaaaa", "z"};
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<std::string> names;
    std::string stem = iter % 3 == 0 ? "" : iter % 3 == 1 ? "abcdefg" : "abcdefghijklmno";
    while (names.size() < 2 + rng() % 12) {
      std::string name = stem;
      for (size_t n = rng() % 4; n > 0; --n) name += kPieces[rng() % kPieces.size()];
      if (name.empty()) name = "q";
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    std::string text = "(f";
    std::vector<std::string> el{"f"};
    for (size_t i = 0; i < names.size(); ++i) {
      text += " :" + names[i] + " " + std::to_string(i);
      el.push_back(":" + names[i]);
      el.push_back(std::to_string(i));
    }
    text += ")";
    ASSERT_EQ(CanonAll(text), ReferenceList(el)) << text;
  }
}

TEST(Canonical, RawControlsInStringsAreEscapedPlainStringsCopied) {
  // The reader marks strings with nothing to escape; strings holding a raw
  // LF, TAB or CR are not marked and come out escaped.
  auto doc = ReadOne("(\"plain é\" \"tab\there\" \"nl\nx\" \"cr\rx\" \"esc\\\"aped\")");
  ASSERT_TRUE(doc.ok());
  const Node& l = doc->roots()[0];
  EXPECT_TRUE(l[0].flags() & Node::kFlagPlainString);
  EXPECT_FALSE(l[1].flags() & Node::kFlagPlainString);
  EXPECT_FALSE(l[2].flags() & Node::kFlagPlainString);
  EXPECT_FALSE(l[3].flags() & Node::kFlagPlainString);
  EXPECT_FALSE(l[4].flags() & Node::kFlagPlainString);
  EXPECT_EQ(*Canonical(l), "(\"plain é\" \"tab\\there\" \"nl\\nx\" \"cr\\rx\" \"esc\\\"aped\")");
}

std::string Fmt(std::string_view text, size_t width = 100) {
  auto doc = Read(text);
  EXPECT_TRUE(doc.ok());
  FormatOptions o;
  o.width = width;
  auto f = Format(*doc, o);
  EXPECT_TRUE(f.ok());
  return *f;
}

TEST(Format, ShortFormsStayFlatAndKeepSourceOrder) {
  EXPECT_EQ(Fmt("(p   :class \"x\"\n  \"hi\")"), "(p :class \"x\" \"hi\")\n");
  EXPECT_EQ(Fmt("(let [a 1] 'x)"), "(let [a 1] 'x)\n");
  EXPECT_EQ(Fmt("(b :z 1 :a 2)"), "(b :z 1 :a 2)\n");
}

TEST(Format, LongFormsBreakWithKeywordAndValueOnOneLine) {
  std::string text =
      "(defcomp ~card (&key title subtitle &rest children) (div :class \"card "
      "rounded shadow\" :id \"card-1\" (h2 :class \"title\" title) (p :class "
      "\"subtitle\" subtitle) children))";
  std::string want =
      "(defcomp\n"
      "  ~card\n"
      "  (&key title subtitle &rest children)\n"
      "  (div\n"
      "    :class \"card rounded shadow\"\n"
      "    :id \"card-1\"\n"
      "    (h2 :class \"title\" title)\n"
      "    (p :class \"subtitle\" subtitle)\n"
      "    children))\n";
  EXPECT_EQ(Fmt(text), want);
  EXPECT_EQ(Fmt(want), want);  // stable
}

TEST(Format, NarrowWidthAndDicts) {
  std::string out = Fmt("{:alpha 1 :beta (x y z) :gamma \"long string here\"}", 20);
  EXPECT_EQ(out, "{:alpha 1\n :beta (x y z)\n :gamma \"long string here\"}\n");
}

TEST(Format, ReadsBackToTheSameCanonicalForm) {
  std::string text =
      "(Create :id \"https://example.com/a/1\" :actor \"https://example.com/u/1\" "
      ":object (Note :content (section (p \"one two three four five six seven\") "
      "(p \"eight nine ten\")) :tag (list (Hashtag :name \"#a\")) :score 1.5e-7 "
      ":raw #b64\"AAEC\" :q '(a ,b ,@c) :when [x 1 y 2]))";
  std::string formatted = Fmt(text, 40);
  EXPECT_NE(formatted.find('\n'), formatted.size() - 1);  // it did break
  EXPECT_EQ(CanonAll(formatted), CanonAll(text));
}

TEST(Format, DeepNestingDoesNotIndentQuadratically) {
  std::string text(5000, '(');
  text += "x";
  text += std::string(5000, ')');
  ReadOptions o;
  o.max_depth = 10000;
  auto doc = Read(text, o);
  ASSERT_TRUE(doc.ok());
  auto f = Format(*doc);
  ASSERT_TRUE(f.ok());
  EXPECT_LT(f->size(), 5000u * 60);  // indentation is capped
  auto back = Read(*f, o);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*Canonical(back->roots()[0]), *Canonical(doc->roots()[0]));
}

// A sink that refuses: the writers send it nothing after the refused chunk
// and fail with sink-refused, however the output is cut into chunks.
TEST(Sinks, WritersStopAtARefusingSinkAndSaySo) {
  std::string text = "(feed";
  for (int i = 0; i < 20000; ++i) text += " (item :id " + std::to_string(i) + " \"text\")";
  text += ")";
  auto doc = Read(text);
  ASSERT_TRUE(doc.ok());
  for (int allow : {1, 2, 3}) {
    int calls = 0;
    size_t bytes = 0;
    CallbackSink refusing([&](std::string_view c) {
      ++calls;
      bytes += c.size();
      return calls < allow;
    });
    Error e = WriteCanonical(doc->roots()[0], refusing);
    EXPECT_EQ(e.code, ErrorCode::kSinkRefused) << allow;
    EXPECT_EQ(calls, allow);  // nothing after the refusal
    EXPECT_LT(bytes, Canonical(doc->roots()[0])->size());

    calls = 0;
    Error f = WriteFormatted(doc->roots()[0], refusing);
    EXPECT_EQ(f.code, ErrorCode::kSinkRefused) << allow;
    EXPECT_EQ(calls, allow);
  }
  EXPECT_EQ(ErrorCodeName(ErrorCode::kSinkRefused), "sink-refused");
  // A sink that takes everything: the same bytes as Canonical.
  std::string all;
  CallbackSink taking([&](std::string_view c) {
    all.append(c);
    return true;
  });
  EXPECT_TRUE(WriteCanonical(doc->roots()[0], taking).ok());
  EXPECT_EQ(all, *Canonical(doc->roots()[0]));
}

}  // namespace
}  // namespace sexp
