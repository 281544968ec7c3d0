// Property tests over generated documents.
//
// A generator builds random trees with the Builder, then a randomising
// printer writes each tree as text in many equivalent spellings (extra
// whitespace, comments, datum comments, [ ] for ( ), sugar for quote forms,
// \u escapes for plain characters, different float spellings). The reader
// must give back a tree Equal to the built one, and every document must pass
// CheckRoundTrip (canonical idempotence, hash = SHA3 of canonical, fmt reads
// back to the same canonical form).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sexp/sexp.h"
#include "test_util.h"

namespace sexp {
namespace {

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Node Tree(Builder& b, int depth) {
    int pick = Uniform(0, depth <= 0 ? 9 : 13);
    switch (pick) {
      case 0: return b.Nil();
      case 1: return b.Bool(Uniform(0, 1) == 1);
      case 2: return b.Int(Int());
      case 3: return b.Float(Double());
      case 4: case 5: return b.String(Text());
      case 6: return b.Bytes(Text());
      case 7: case 8: return b.Symbol(SymbolName());
      case 9: return b.Keyword(SymbolName());
      case 10: return QuoteForm(b, depth);
      case 11: return DictNode(b, depth);
      default: return ListNode(b, depth);
    }
  }

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::mt19937_64& rng() { return rng_; }

 private:
  int64_t Int() {
    switch (Uniform(0, 3)) {
      case 0: return Uniform(-10, 10);
      case 1: return static_cast<int64_t>(rng_());
      case 2: return Uniform(0, 1) ? INT64_MAX : INT64_MIN;
      default: return Uniform(-100000, 100000);
    }
  }
  double Double() {
    switch (Uniform(0, 3)) {
      case 0: {
        uint64_t bits = rng_();
        double d;
        std::memcpy(&d, &bits, 8);
        return std::isfinite(d) ? d : 0.5;
      }
      case 1: return Uniform(-1000, 1000) / 8.0;
      case 2: return std::pow(10.0, Uniform(-30, 30));
      default: return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
    }
  }
  std::string Text() {
    static const char* kPieces[] = {"a", "b", " ", "\"", "\\", "\n", "\t", "\r",
                                    "\x01", "\x1f", "\x7f", "é", "東京", "🌹",
                                    "mir мир", ";", "(", ")", "#", "'"};
    std::string s;
    int n = Uniform(0, 8);
    for (int i = 0; i < n; ++i) s += kPieces[Uniform(0, 19)];
    return s;
  }
  std::string SymbolName() {
    static const char* kNames[] = {"a", "b", "id", "actor", "~card", "->", "+", "-",
                                   "café", "東京", "nil?", "&key", "x-y", "Z", "raw!",
                                   "<>", "a:b", "a#b", "-x", "NaN"};
    return kNames[Uniform(0, 19)];
  }
  Node QuoteForm(Builder& b, int depth) {
    static const char* kHeads[] = {"quote", "quasiquote", "unquote", "unquote-splicing"};
    return b.List({b.Symbol(kHeads[Uniform(0, 3)]), Tree(b, depth - 1)});
  }
  Node DictNode(Builder& b, int depth) {
    std::vector<Node> items;
    std::vector<std::string> used;
    int n = Uniform(0, 4);
    for (int i = 0; i < n; ++i) {
      bool kw = Uniform(0, 1) == 1;
      std::string key = (kw ? ":" : "\"") + SymbolName() + std::to_string(Uniform(0, 3));
      if (std::find(used.begin(), used.end(), key) != used.end()) continue;
      used.push_back(key);
      items.push_back(kw ? b.Keyword(key.substr(1)) : b.String(key.substr(1)));
      items.push_back(Tree(b, depth - 1));
    }
    return b.Dict(items);
  }
  Node ListNode(Builder& b, int depth) {
    std::vector<Node> items;
    std::vector<std::string> used_keywords;
    int n = Uniform(0, 6);
    for (int i = 0; i < n; ++i) {
      if (i > 0 && Uniform(0, 2) == 0) {
        // A keyword pair, never repeating a keyword within the list.
        std::string k = SymbolName() + std::to_string(Uniform(0, 2));
        if (std::find(used_keywords.begin(), used_keywords.end(), k) == used_keywords.end()) {
          used_keywords.push_back(k);
          items.push_back(b.Keyword(k));
          items.push_back(Uniform(0, 4) == 0 ? b.Int(i) : Tree(b, depth - 1));
          continue;
        }
      }
      Node t = Tree(b, depth - 1);
      if (t.is_keyword()) t = b.Symbol("k");  // keep pairs under our control
      items.push_back(t);
    }
    return b.List(items);
  }

  std::mt19937_64 rng_;
};

// Writes `n` as text, choosing among equivalent spellings at random.
class RandomPrinter {
 public:
  explicit RandomPrinter(Generator& g) : g_(g) {}

  std::string Print(const Node& n) {
    out_.clear();
    Write(n, 0);
    return out_;
  }

 private:
  void Space() {
    switch (g_.Uniform(0, 9)) {
      case 0: out_ += "\n  "; break;
      case 1: out_ += " ; comment (\n"; break;
      case 2: out_ += " #;(ignored \"x\") "; break;
      case 3: out_ += "\t"; break;
      default: out_ += " ";
    }
  }
  void WriteString(std::string_view s) {
    out_ += '"';
    for (size_t i = 0; i < s.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += static_cast<char>(c);
      } else if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04X", c);
        out_ += buf;
      } else if (c < 0x80 && g_.Uniform(0, 6) == 0) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);  // any character may be escaped
        out_ += buf;
      } else if (c == '\n' && g_.Uniform(0, 1)) {
        out_ += "\\n";
      } else {
        out_ += static_cast<char>(c);
      }
    }
    out_ += '"';
  }
  void WriteFloat(double d) {
    char buf[40];
    switch (g_.Uniform(0, 2)) {
      case 0: std::snprintf(buf, sizeof buf, "%.17e", d); break;
      case 1: std::snprintf(buf, sizeof buf, "%.17E", d); break;
      default: buf[FormatFloat(d, buf)] = '\0';
    }
    if (std::signbit(d) && d == 0) std::snprintf(buf, sizeof buf, "-0.0");
    out_ += buf;
  }
  void Write(const Node& n, int depth) {
    switch (n.kind()) {
      case Kind::kNil: out_ += "nil"; return;
      case Kind::kBool:
        out_ += g_.Uniform(0, 1) ? (n.as_bool() ? "#t" : "#f") : (n.as_bool() ? "true" : "false");
        return;
      case Kind::kInt: out_ += std::to_string(n.as_int()); return;
      case Kind::kFloat: WriteFloat(n.as_float()); return;
      case Kind::kString: WriteString(n.str()); return;
      case Kind::kBytes: out_ += *Canonical(n); return;
      case Kind::kSymbol: out_ += n.name(); return;
      case Kind::kKeyword: out_ += ":"; out_ += n.name(); return;
      case Kind::kList: {
        static const char* kSugar[][2] = {{"quote", "'"}, {"quasiquote", "`"},
                                          {"unquote", ","}, {"unquote-splicing", ",@"}};
        if (n.size() == 2 && n[0].is_symbol() && g_.Uniform(0, 1)) {
          for (auto& s : kSugar) {
            if (n[0].name() == s[0]) {
              out_ += s[1];
              Write(n[1], depth + 1);
              return;
            }
          }
        }
        bool square = g_.Uniform(0, 4) == 0;
        out_ += square ? '[' : '(';
        for (size_t i = 0; i < n.size(); ++i) {
          if (i > 0) Space();
          Write(n[i], depth + 1);
        }
        out_ += square ? ']' : ')';
        return;
      }
      case Kind::kDict:
        out_ += '{';
        for (size_t i = 0; i < n.size(); ++i) {
          if (i > 0) Space();
          Write(n[i], depth + 1);
        }
        out_ += '}';
        return;
    }
  }

  Generator& g_;
  std::string out_;
};

TEST(Property, ReaderInvertsRandomSpellings) {
  Generator gen(20261121);
  RandomPrinter printer(gen);
  for (int iter = 0; iter < 3000; ++iter) {
    Builder b;
    Node tree = gen.Tree(b, 5);
    auto built = b.Finish({tree});
    ASSERT_TRUE(built.ok()) << built.error().ToString();
    const Node& want = built->roots()[0];
    std::string text = printer.Print(want);
    auto read = ReadOne(text);
    ASSERT_TRUE(read.ok()) << read.error().ToString() << "\n" << text;
    ASSERT_TRUE(Equal(want, read->roots()[0])) << text;
    auto c_built = Canonical(want);
    auto c_read = Canonical(read->roots()[0]);
    ASSERT_TRUE(c_built.ok() && c_read.ok()) << text;
    ASSERT_EQ(*c_built, *c_read) << text;
    std::string problem = testing::CheckRoundTrip(*read);
    ASSERT_EQ(problem, "") << text;
  }
}

TEST(Property, CanonicalOfBuiltTreesReadsBackEqualWhenAlreadySorted) {
  // parse(canonical(x)) == x exactly when x is in canonical order; check via
  // the canonical text of the re-read tree being a fixed point and the trees
  // matching after one canonicalisation.
  Generator gen(7);
  for (int iter = 0; iter < 2000; ++iter) {
    Builder b;
    Node tree = gen.Tree(b, 4);
    auto built = b.Finish({tree});
    ASSERT_TRUE(built.ok());
    auto c = Canonical(built->roots()[0]);
    ASSERT_TRUE(c.ok());
    auto once = ReadOne(*c);
    ASSERT_TRUE(once.ok()) << *c;
    auto c2 = Canonical(once->roots()[0]);
    auto twice = ReadOne(*c2);
    ASSERT_TRUE(Equal(once->roots()[0], twice->roots()[0])) << *c;
    ASSERT_EQ(*HashNode(built->roots()[0]), Sha3_256(*c));
  }
}

TEST(Property, MultiFormDocumentsFormatAndRoundTrip) {
  Generator gen(99);
  RandomPrinter printer(gen);
  for (int iter = 0; iter < 300; ++iter) {
    Builder b;
    std::vector<Node> roots;
    std::string text;
    for (int i = 0; i < 5; ++i) {
      roots.push_back(gen.Tree(b, 6));
      text += printer.Print(roots.back()) + "\n";
    }
    auto doc = Read(text);
    ASSERT_TRUE(doc.ok()) << doc.error().ToString() << "\n" << text;
    ASSERT_EQ(doc->roots().size(), 5u);
    std::string problem = testing::CheckRoundTrip(*doc);
    ASSERT_EQ(problem, "") << text;
  }
}

}  // namespace
}  // namespace sexp
