// Property: `let` binds in order. On generated programs — bindings whose
// inits read earlier names, outer names and names they rebind — a `let`
// gives what the same bindings nested one per `let` give (the definition of
// binding in order), and `let*` gives the same as `let`. The programs are
// evaluated, not compared as text, so a compiler that reordered or
// parallelised the bindings would fail here.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

constexpr const char* kNames[] = {"a", "b", "c", "x", "y"};

// An integer expression over the names in scope (`bound`), at most `depth`
// deep: literals, names, + - * and an if on a comparison.
std::string Expr(std::mt19937& rng, const std::vector<std::string>& bound, int depth) {
  std::uniform_int_distribution<int> pick(0, depth > 0 ? 5 : 1);
  switch (pick(rng)) {
    case 0:
      return std::to_string(std::uniform_int_distribution<int>(-9, 9)(rng));
    case 1:
      if (bound.empty()) return "1";
      return bound[std::uniform_int_distribution<size_t>(0, bound.size() - 1)(rng)];
    case 2: return "(+ " + Expr(rng, bound, depth - 1) + " " + Expr(rng, bound, depth - 1) + ")";
    case 3: return "(- " + Expr(rng, bound, depth - 1) + " " + Expr(rng, bound, depth - 1) + ")";
    case 4: return "(* " + Expr(rng, bound, depth - 1) + " 2)";
    default:
      return "(if (< " + Expr(rng, bound, depth - 1) + " " + Expr(rng, bound, depth - 1) + ") " +
             Expr(rng, bound, depth - 1) + " " + Expr(rng, bound, depth - 1) + ")";
  }
}

struct Binding {
  std::string name;
  std::string init;
};

// The same bindings as one `head` form (both binding styles) and as nested
// one-binding lets.
std::string OneLet(const char* head, const std::vector<Binding>& bs, const std::string& body,
                   bool brackets) {
  std::string s = std::string("(") + head + (brackets ? " [" : " (");
  for (const Binding& b : bs) {
    s += brackets ? b.name + " " + b.init + " " : "(" + b.name + " " + b.init + ") ";
  }
  return s + (brackets ? "] " : ") ") + body + ")";
}
std::string Nested(const std::vector<Binding>& bs, const std::string& body) {
  std::string s;
  for (const Binding& b : bs) s += "(let [" + b.name + " " + b.init + "] ";
  return s + body + std::string(bs.size(), ')');
}

TEST(LetProperty, LetBindsInOrderAndLetStarIsTheSame) {
  Environment env;
  std::mt19937 rng(20261207);
  for (int i = 0; i < 1500; ++i) {
    // Outer names, so that inits can read a name they are about to shadow.
    std::vector<std::string> bound = {"a", "x"};
    std::vector<Binding> bs;
    int n = std::uniform_int_distribution<int>(1, 5)(rng);
    for (int k = 0; k < n; ++k) {
      Binding b;
      b.name = kNames[std::uniform_int_distribution<int>(0, 4)(rng)];
      b.init = Expr(rng, bound, 3);
      bs.push_back(b);
      bound.push_back(b.name);
    }
    std::string body = "(list " + Expr(rng, bound, 2) + " " + Expr(rng, bound, 2) + ")";
    std::string outer = "(let [a 100 x -7] ";
    std::string expected_text = outer + Nested(bs, body) + ")";
    EvalResult expected = env.Eval(expected_text);
    ASSERT_TRUE(expected.ok()) << expected_text << "\n" << expected.error().ToString();
    for (const char* head : {"let", "let*"}) {
      for (bool brackets : {false, true}) {
        std::string text = outer + OneLet(head, bs, body, brackets) + ")";
        EvalResult got = env.Eval(text);
        ASSERT_TRUE(got.ok()) << text << "\n" << got.error().ToString();
        EXPECT_EQ(ToText(got.value()), ToText(expected.value())) << text << "\nvs " << expected_text;
      }
    }
  }
}

}  // namespace
}  // namespace sexp
