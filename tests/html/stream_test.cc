// The streaming renderer against its definition: rendering a form in place
// (RenderHtml) writes exactly the bytes of evaluating it to data and
// rendering that (Environment::Eval, then RenderData) — or both fail with
// the same error code. Checked on hand-written cases aimed at each shortcut
// the streaming path takes (element plans, inlined children and their
// guards, (str …) pieces, map, tail calls, computed attribute names), then
// on thousands of generated templates.
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

struct Outcome {
  bool ok = false;
  std::string text;  // the HTML, or the error code
  std::string detail;
};

Outcome Streamed(const std::string& program, const RenderOptions& options) {
  Environment env;
  std::string html;
  StringSink sink(&html);
  EvalResult r = RenderHtml(env, program, sink, "t.sx", options);
  if (!r.ok()) return {false, std::string(EvalErrorCodeName(r.error().code)), r.error().ToString()};
  return {true, html, ""};
}

Outcome EvaluatedThenRendered(const std::string& program, const RenderOptions& options) {
  Environment env;
  EvalResult tree = env.Eval(program, "t.sx");
  if (!tree.ok()) return {false, std::string(EvalErrorCodeName(tree.error().code)), tree.error().ToString()};
  std::string html;
  StringSink sink(&html);
  EvalResult r = RenderData(tree.value(), sink, options);
  if (!r.ok()) return {false, std::string(EvalErrorCodeName(r.error().code)), r.error().ToString()};
  return {true, html, ""};
}

// Empty when the two paths agree, else what differs.
std::string Disagreement(const std::string& program, const RenderOptions& options = {}) {
  Outcome s = Streamed(program, options);
  Outcome e = EvaluatedThenRendered(program, options);
  if (s.ok == e.ok && s.text == e.text) return "";
  return absl::StrCat("program:\n", program, "\nstreamed:  ", s.ok ? "" : "ERROR ", s.text, " ",
                      s.detail, "\nreference: ", e.ok ? "" : "ERROR ", e.text, " ", e.detail);
}

// The data the templates below read.
constexpr const char* kPrelude = R"sx(
(define d {:s "<a & 'b'>" :t "plain" :n 42 :m -7 :f 2.5 :b true :no false :z nil
           :l (list "x<" "y" "z&") :e (list) :k :kw :h (raw! "<i>raw</i>")
           :u "/path?q=<1>" :bad "javascript:alert(1)" :cls (list "a" nil "b")
           :on {:active true :off false} :st {:color "red" :margin-top 0}})
(defcomp ~card (&key title &rest children)
  (article :class "card" (h2 title) children))
(defcomp ~titled (&key title nav)
  (div (title "T: " title) (nav :id "n" nav)))
(define (item x) (li :data-x x x))
(define (items xs) (map item xs))
(define (count-down n acc)
  (if (= n 0) (ul acc) (count-down (- n 1) (cons (li n) acc))))
)sx";

TEST(HtmlStream, HandWrittenCasesAgree) {
  const char* cases[] = {
      // Elements, literal and computed attributes, text.
      R"sx((div :class "a" :id (:n d) (p (:s d)) (:t d) 1 2.5 nil true))sx",
      R"sx((p "x" :title "late attribute" "y"))sx",
      R"sx((p (keyword "hx-on:click") "go()" (keyword "data-n") (:n d) "t"))sx",
      R"sx((p (keyword "bad name") "v" "t"))sx",
      R"sx((p (if (:b d) :a :b) "v"))sx",
      R"sx((p :class))sx",
      R"sx((<> :class "x" "t"))sx",
      R"sx((<> (p "a") "b" (<> "c" (:s d))))sx",
      R"sx((html :lang "en" (head (title (:s d))) (body (:t d))))sx",
      // Attribute values of every kind.
      R"sx((p :a true :b false :c nil :d (:n d) :e (:f d) :g (:k d) :h (:h d) "t"))sx",
      R"sx((p :class (:cls d) :style (:st d) "t"))sx",
      R"sx((p :class (:on d) :style "color: blue" "t"))sx",
      R"sx((p :class (list "a" (list "b" :c) 3) "t"))sx",
      R"sx((p :style {:bad;prop 1} "t"))sx",
      R"sx((p :style {:color "x;y"} "t"))sx",
      R"sx((p :data (list 1 2) "t"))sx",
      // (str …) attributes: streamed pieces, URLs decided by their first
      // piece or assembled, unsafe ones refused.
      R"sx((a :href (str "/posts/" (:s d) "/") :id (str "p-" (:n d) (:z d) (:k d)) "t"))sx",
      R"sx((a :href (str (:u d) "#x") "t"))sx",
      R"sx((a :href (str (:bad d)) "t"))sx",
      R"sx((a :href (str "java" "script:alert(1)") "t"))sx",
      R"sx((a :href (str "https://e.example/" (:s d)) "t"))sx",
      R"sx((img :srcset (str "/a.png 1x, " (:bad d) " 2x")))sx",
      R"sx((a :title (str) "t"))sx",
      R"sx((a :title (str (:h d) (:l d) (:on d)) "t"))sx",
      // Children: void, raw text, raw!, data lists, quoted elements.
      R"sx((p (br) (img :src "/a.png" :alt (:s d)) (input :disabled (:b d))))sx",
      R"sx((br (:t d)))sx",
      R"sx((br (:z d) (:no d)))sx",
      R"sx((script "var x = 1 < 2;" (:n d)))sx",
      R"sx((script (str "</scr" "ipt>")))sx",
      R"sx((style "p{color:red}" (:h d)))sx",
      R"sx((div (raw! "<b>bold</b>") (:h d)))sx",
      R"sx((div (list (p "a") "b" (list "c" (:s d)))))sx",
      R"sx((div (quote (b :class "q" "x"))))sx",
      R"sx((div (quote (raw! "<b>"))))sx",
      R"sx((div (:l d) (:e d)))sx",
      R"sx((div (:k d)))sx",
      R"sx((div (list :k 1)))sx",
      R"sx((div {:a 1}))sx",
      R"sx((div (fn (x) x)))sx",
      R"sx((div (nosuch-fn 1)))sx",
      R"sx((not-an-element 1))sx",
      // Control forms in templates.
      R"sx((div (when (:b d) (p "yes")) (when (:no d) (p "no")) (unless (:no d) "u")))sx",
      R"sx((div (if (:b d) (span "a") (span "b")) (cond (:no d) "c1" (:b d) (em "c2") :else "c3")))sx",
      R"sx((div (case (:n d) 1 "one" (41 42) (b "forty-two") :else "other")))sx",
      R"sx((div (let [x (:s d) y (p x)] y x) (let* ((a 1) (b (+ a 1))) (i b))))sx",
      R"sx((div (do (define-local 1) "after")))sx",
      R"sx((div (and (:b d) (p "and")) (or (:no d) (p "or")) (and (:no d) (p "never"))))sx",
      // Calls: components, functions, map, tail calls, primitives.
      R"sx((~card :title (:s d) (p "body") (:t d)))sx",
      R"sx((~titled :title (:s d) :nav (:l d)))sx",
      R"sx((ul (map (fn (x) (li :class "i" x)) (:l d))))sx",
      R"sx((ul (map item (:l d)) (items (:e d)) (map item nil)))sx",
      R"sx((ul (map item (:s d))))sx",
      R"sx((ul (map (fn (x y) x) (:l d))))sx",
      R"sx((div (count-down 5 (list))))sx",
      R"sx((div (count-down 3000 (list))))sx",
      R"sx((div (+ 1 2) (str "a" 1) (apply str (list "x" "<")) (upper "x<")))sx",
      R"sx((div ((fn () (p "immediate")))))sx",
      R"sx((div (map (fn (p) (~card :title (:t d) p)) (list "a" "b"))))sx",
      // (map (fn (x) …) xs) rendered in place, its body's element plan run
      // inline for each item.
      R"sx((ul (map (fn (x) (li (a :href (str "/t/" x "/") "#" x))) (:l d))))sx",
      R"sx((ul (map (fn (x) (li x)) nil) (map (fn (x) (li x)) (:e d))))sx",
      R"sx((table (map (fn (row) (tr (map (fn (c) (td c)) row))) (list (list 1 "<") (list) (list 3)))))sx",
      R"sx((let [p "P"] (ul (map (fn (x) (li :title p p x)) (:l d)))))sx",
      R"sx((~card :title "t" (ul (map (fn (x) (li title x)) (:l d)))))sx",
      R"sx((ul (map (fn (x) (li x)) (:s d))))sx",
      R"sx((ul (map (fn (x) (li x)) (:on d))))sx",
      R"sx((ul (map (fn (x) (li x)) (:n d))))sx",
      R"sx((ul (map (fn (x) (li (+ x 1))) (list 1 "a"))))sx",
      R"sx((ul (map (fn (x) (li (:k d))) (list 1))))sx",
      R"sx((ul (map (fn (x) (li :href x "l")) (list "/ok" "javascript:x"))))sx",
      R"sx((ul (map (fn (x) (~card :title x)) (list "a" "b"))))sx",
      R"sx((ul (map (fn (x) (item x)) (:l d))))sx",
      R"sx((ul (map (fn (x) (when x (li x))) (list 1 false 2))))sx",
      R"sx((ul (map (fn (x) (li ((fn () x)))) (list 1 2))))sx",
      R"sx((ul (map (fn () (li "x")) (list 1))))sx",
      R"sx((ul (map (fn (x) (li x)) (list 1) (list 2))))sx",
      R"sx((div :title (map (fn (x) x) (list "a")) "t"))sx",
      R"sx((br (map (fn (x) (li x)) (:e d))))sx",
      R"sx((script (map (fn (x) x) (list "a</script>" "b"))))sx",
      // Branches and loops ending a child element that is inlined into its
      // parent (the parts after them must line up).
      R"sx((div (<> (map (fn (x) (li x)) (:l d))) "after"))sx",
      R"sx((div (<> (when (:b d) (b "y"))) "after" (<> (if (:no d) "a" (i "b"))) "end"))sx",
      R"sx((ul (<> (map (fn (x) (when x (li x))) (list 1 false 2))) (li "end")))sx",
      R"sx((div (span (if (:b d) (b (:s d)) (:n d))) (span (if (:no d) (b "x") (i (:t d)))) "z"))sx",
      R"sx((div (when (:b d) (p "one") (p "two")) (unless (:b d) (p "three")) "z"))sx",
      // Element names that are also locals, inlined behind a check of the
      // local where the element runs.
      R"sx((let [p "data"] (div (p :class "c" (b p)) "after")))sx",
      R"sx((let [p (fn (&rest xs) (i "called"))] (div (p :class "c" (b "x")) "after")))sx",
      R"sx((let [p "data"] (div (do (set! p (fn (&rest xs) (i "set"))) "") (p "x") "after")))sx",
      R"sx((div (map (fn (p) (p :title p (when p (b p)))) (list "a" nil))))sx",
      // script and style: raw text in HTML (checked whole), escaped in
      // SVG and MathML, raw again where those hand back to HTML.
      R"sx((div (script "a<" (:s d) "/b") (style (:t d) 1)))sx",
      R"sx((div (script "<" "/script>")))sx",
      R"sx((svg (style (:s d)) (g (script "x</script>")) (foreignObject (style "a>b"))))sx",
      R"sx((math (mi (style "a>b")) (style "<b>")))sx",
      R"sx((div (~card :title "t" (svg (style "<i>"))) (style "a>b")))sx",
      R"sx((svg (title "t<") (desc (style "a>b")) (map (fn (x) (style x)) (:l d))))sx",
      R"sx((div (try (svg (error "x")) (catch e "c")) (style "a > b")))sx",
      R"sx((a :HREF (:bad d) "t"))sx",
      R"sx((a :Href (str "java" "script:x") "t"))sx",
      R"sx((iframe :srcdoc (:s d)))sx",
      R"sx((meta :http-equiv "refresh" :content (str "0; url=" (:bad d))))sx",
      R"sx((div (:missing d "default") (:missing d)))sx",
      R"sx((div (try (p (error "boom")) (catch e (:message e)))))sx",
      R"sx((div (error "thrown")))sx",
  };
  for (const char* c : cases) {
    std::string program = absl::StrCat(kPrelude, c);
    EXPECT_EQ(Disagreement(program), "");
    RenderOptions any;
    any.url_policy = UrlPolicy::kAllowAll;
    EXPECT_EQ(Disagreement(program, any), "");
  }
}

TEST(HtmlStream, RebindingWhatTheStreamRelidOn) {
  // Elements inlined into their parent, `str`, `map` and `keyword` are
  // streamed only while their globals hold what they held when compiled.
  const char* cases[] = {
      // A child element's name defined as a component after the parent was
      // compiled: the parent's inlined plan must give way.
      R"sx((defcomp ~page () (div (span "a") (p (b "x") "y")))
           (defcomp span (&rest children) (em "span was rebound"))
           (~page))sx",
      R"sx((defcomp ~page () (div (p (b "x") "y")))
           (define (b x) (strong x))
           (~page))sx",
      R"sx((defcomp ~page () (div :id (str "a" 1) (p "x")))
           (define (str &rest xs) "str was rebound")
           (~page))sx",
      R"sx((defcomp ~page () (ul (map (fn (x) (li x)) (list 1 2))))
           (define (map f xs) (list "map was rebound"))
           (~page))sx",
      R"sx((defcomp ~page () (ul (map (fn (x) (li :id (str "i" x) (a :href (str "/" x) x))) (list 1 2))))
           (define (str &rest xs) "str was rebound")
           (~page))sx",
      R"sx((defcomp ~page () (div (p :title (str "a" 1) (b :title (str "b" 2)))))
           (define str 5)
           (~page))sx",
      R"sx((defcomp ~page () (p (keyword "data-a") "1" "t"))
           (define (keyword s) "not a keyword")
           (~page))sx",
      R"sx((defcomp ~page () (ul (map (fn (x) (li (b x))) (list 1 2))))
           (defcomp li (&rest children) (em "li was rebound"))
           (~page))sx",
      R"sx((defcomp ~page () (ul (map (fn (x) (li (b x))) (list 1 2))))
           (define (b x) (strong "b was rebound"))
           (~page))sx",
      R"sx((defcomp ~page (&key title) (div (title "x") (p title)))
           (~page :title (fn (x) (h1 "title is a function: " x))))sx",
      R"sx((defcomp ~page (&key title) (div (title "x") (p title)))
           (~page :title "data"))sx",
  };
  for (const char* c : cases) EXPECT_EQ(Disagreement(c), "");
  // And what they give.
  Outcome o = Streamed(cases[0], {});
  EXPECT_EQ(o.text, "<div><em>span was rebound</em><p><b>x</b>y</p></div>");
  o = Streamed(cases[2], {});
  EXPECT_EQ(o.text, R"(<div id="str was rebound"><p>x</p></div>)");
}

// The smallest limit under which `program` runs, by bisection, or 0 if it
// fails for another reason at every limit up to `most`.
template <class Run>
uint64_t SmallestLimit(uint64_t most, Run&& run) {
  if (!run(most)) return 0;
  uint64_t lo = 1, hi = most;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (run(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

TEST(HtmlStream, ShortcutsChargeTheStepsAndDepthOfTheCalls) {
  // Streaming skips calls, closures and lists (inlined elements, map's
  // calls, str's pieces) but counts the call depth of evaluating the page
  // and no more steps than evaluating it and walking its value once:
  // recursion is stopped at the same depth.
  const char* cases[] = {
      R"sx((ul (map (fn (x) (li (a :href (str "/t/" x) x))) (:l d))))sx",
      R"sx((table (map (fn (r) (tr (map (fn (c) (td c)) r))) (list (list 1 2) (list 3)))))sx",
      R"sx((div (map (fn (p) (~card :title p (p p))) (list "a" "b" "c"))))sx",
      R"sx((div (section (p (b "x") (i (:s d))) (count-down 4 (list)))))sx",
      R"sx((ul (map item (:l d)) (map (fn (x) (when x (li x))) (list 1 false 2))))sx",
  };
  for (const char* c : cases) {
    std::string program = absl::StrCat(kPrelude, c);
    auto streamed = [&](EvalLimits limits) {
      Environment env;
      std::string html;
      StringSink sink(&html);
      return RenderHtml(env, program, sink, "t.sx", {}, limits).ok();
    };
    auto evaluated = [&](EvalLimits limits) {
      Environment env;
      return env.Eval(program, "t.sx", limits).ok();
    };
    auto with_steps = [](auto run) {
      return [run](uint64_t n) {
        EvalLimits limits;
        limits.max_steps = n;
        return run(limits);
      };
    };
    auto with_depth = [](auto run) {
      return [run](uint64_t n) {
        EvalLimits limits;
        limits.max_depth = static_cast<uint32_t>(n);
        return run(limits);
      };
    };
    uint64_t steps = SmallestLimit(1'000'000, with_steps(evaluated));
    ASSERT_GT(steps, 0u) << c;
    uint64_t streamed_steps = SmallestLimit(1'000'000, with_steps(streamed));
    EXPECT_GT(streamed_steps, 0u) << c;
    // Rendering data is charged a step per node (so shared structure cannot
    // render for free): at most the page's nodes on top of its evaluation.
    Environment counting;
    EvalResult page = counting.Eval(program, "t.sx");
    ASSERT_TRUE(page.ok()) << c;
    uint64_t nodes = 0;
    std::vector<Value> todo{page.value()};
    while (!todo.empty()) {
      Value v = todo.back();
      todo.pop_back();
      ++nodes;
      if (v.is_list() || v.is_dict()) todo.insert(todo.end(), v.items().begin(), v.items().end());
    }
    EXPECT_LE(streamed_steps, steps + nodes) << c;
    uint64_t depth = SmallestLimit(2000, with_depth(evaluated));
    ASSERT_GT(depth, 0u) << c;
    EXPECT_EQ(SmallestLimit(2000, with_depth(streamed)), depth) << c;
  }
}

TEST(HtmlStream, ErrorsPointAtTheFormThatBrokeTheRule) {
  Outcome o = Streamed("(div\n  (p (br \"child\")))", {});
  ASSERT_FALSE(o.ok);
  EXPECT_EQ(o.text, "render");
  EXPECT_NE(o.detail.find("t.sx:2:6"), std::string::npos) << o.detail;
  RenderOptions refuse;  // an unsafe URL an error rather than neutralized
  refuse.neutralize_unsafe = false;
  o = Streamed("(div\n  (a :href (str \"javascript:\" 1) \"x\"))", refuse);
  ASSERT_FALSE(o.ok);
  EXPECT_NE(o.detail.find("t.sx:2:3"), std::string::npos) << o.detail;
}

// Random templates over `d` (no evaluation errors by construction, so any
// failure is a rendering rule, which both paths must report).
class TemplateGen {
 public:
  explicit TemplateGen(uint32_t seed) : rng_(seed) {}

  std::string Node(int depth) {
    switch (Pick(depth <= 0 ? 4 : 13)) {
      case 0: return Pick({R"("text")", R"("<&>'\"")", "7", "-1.5", "nil", "true", "false"});
      case 1: return Pick({"(:s d)", "(:t d)", "(:n d)", "(:f d)", "(:z d)", "(:h d)", "(:l d)",
                           "(:e d)", "(:missing d \"dflt\")"});
      case 2: return absl::StrCat("(str ", Piece(), " ", Piece(), ")");
      case 3: return Pick({"(raw! \"<u>u</u>\")", "(quote (b \"q\"))", "(list \"a\" (i \"b\"))"});
      case 4:
      case 5:
      case 6:
      case 7: return Element(depth - 1);
      case 8: return absl::StrCat("(when ", Test(), " ", Node(depth - 1), ")");
      case 9:
        return absl::StrCat("(if ", Test(), " ", Node(depth - 1), " ", Node(depth - 1), ")");
      case 10: return absl::StrCat("(let [v ", Node(depth - 1), "] (div v ", Node(depth - 1), "))");
      case 11:
        return absl::StrCat("(map (fn (x) ",
                            Pick({"(li x)", "(span :title x x)", "x", "(li (a :href (str \"/\" x) x))",
                                  "(p (map (fn (y) (b x y)) (list x 2)))", "(when x (i x))"}),
                            ") ", Pick({"(:l d)", "(:e d)", "(list 1 2 3)", "nil"}), ")");
      default:
        return absl::StrCat("(~card :title ", Node(0), " ", Node(depth - 1), ")");
    }
  }

 private:
  std::string Element(int depth) {
    std::string tag = Pick({"div", "span", "p", "a", "ul", "li", "br", "img", "script", "style",
                            "title", "<>", "my-el", "section", "em"});
    std::string out = "(" + tag;
    for (int i = Pick(4); i > 0; --i) out += " " + Attribute();
    for (int i = Pick(4); i > 0; --i) out += " " + Node(depth);
    return out + ")";
  }
  std::string Attribute() {
    std::string name = Pick({":class", ":id", ":href", ":src", ":title", ":hidden", ":style",
                             ":data-x", "(keyword \"data-k\")", ":srcset"});
    std::string value = Pick({"\"v\"", "\"/ok\"", "\"javascript:x\"", "(:s d)", "(:u d)",
                              "(:bad d)", "(:b d)", "(:no d)", "(:n d)", "(:cls d)", "(:on d)",
                              "(:st d)", "(:l d)", "(str \"/p/\" (:s d))", "(str (:u d) \"x\")",
                              "(str (:bad d))", "(str \"c-\" (:n d))", "true", "nil"});
    return name + " " + value;
  }
  std::string Piece() {
    return Pick({"\"/a/\"", "\"<\"", "(:s d)", "(:n d)", "(:z d)", "(:k d)", "(:f d)"});
  }
  std::string Test() { return Pick({"(:b d)", "(:no d)", "(:z d)", "(:n d)"}); }

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::string Pick(std::initializer_list<const char*> options) {
    return *(options.begin() + Pick(static_cast<int>(options.size())));
  }

  std::mt19937 rng_;
};

TEST(HtmlStream, GeneratedTemplatesAgree) {
  int failures = 0, rendered = 0;
  for (uint32_t seed = 1; seed <= 3000 && failures < 5; ++seed) {
    TemplateGen gen(seed);
    std::string program = absl::StrCat(kPrelude, gen.Node(4));
    RenderOptions options;
    if (seed % 3 == 0) options.url_policy = UrlPolicy::kAllowAll;
    std::string d = Disagreement(program, options);
    if (!d.empty()) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << "\n" << d;
    }
    rendered += Streamed(program, options).ok;
  }
  // Most templates render (the rules refuse some on purpose).
  EXPECT_GT(rendered, 1000);
}

}  // namespace
}  // namespace sexp
