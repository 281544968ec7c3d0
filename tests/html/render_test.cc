// The HTML renderer (sexp/html/render.h): the rules of spec/rendering.md, each with
// a passing and a failing case, the sinks, and the head-position rule.
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

// The HTML of the last form, or "ERROR <code>: <message>".
std::string Render(std::string_view text, RenderOptions options = {}) {
  Environment env;
  std::string html;
  StringSink sink(&html);
  EvalResult r = RenderHtml(env, text, sink, "t.sx", options);
  if (!r.ok()) return "ERROR " + std::string(EvalErrorCodeName(r.error().code)) + ": " + r.error().message;
  EXPECT_EQ(r.value().as_int(), static_cast<int64_t>(html.size()));
  return html;
}

bool IsError(const std::string& s) { return s.rfind("ERROR render", 0) == 0; }

// The same with nothing neutralized: what the policy refuses is an error.
std::string Refusing(std::string_view text, RenderOptions options = {}) {
  options.neutralize_unsafe = false;
  return Render(text, options);
}

TEST(HtmlRender, ElementsAttributesAndText) {
  EXPECT_EQ(Render(R"sx((div :class "a" :id "x" (p "one") (p "two")))sx"),
            R"sx(<div class="a" id="x"><p>one</p><p>two</p></div>)sx");
  EXPECT_EQ(Render(R"sx((p 1 " " 2.5 " " -0 nil false true))sx"), "<p>1 2.5 0</p>");
  EXPECT_EQ(Render(R"sx((html :lang "en" (body)))sx"),
            R"sx(<!DOCTYPE html><html lang="en"><body></body></html>)sx");
  EXPECT_EQ(Render(R"sx((<> (p "a") "b" (<> "c")))sx"), "<p>a</p>bc");
  EXPECT_EQ(Render(R"sx((ul (map (fn (x) (li x)) (list 1 2 3))))sx"),
            "<ul><li>1</li><li>2</li><li>3</li></ul>");
  EXPECT_EQ(Render(R"sx((my-widget :data-x 1 "t"))sx"), R"sx(<my-widget data-x="1">t</my-widget>)sx");
}

TEST(HtmlRender, IntegersAtEveryDigitCountAndSign) {
  // Text, attribute values and (str …) pieces, which format integers in
  // place, against absl's formatting.
  std::vector<int64_t> values = {INT64_MIN, INT64_MIN + 1, INT64_MAX, -1, 0};
  for (int64_t p = 1; p <= 1000000; p *= 10) {
    for (int64_t v : {p - 1, p, p + 1, 2 * p - 1}) {
      values.push_back(v);
      values.push_back(-v);
    }
  }
  for (int64_t v : values) {
    std::string n = absl::StrCat(v);
    std::string form = absl::StrCat("(define n ", v == INT64_MIN ? "(- -9223372036854775807 1)" : n,
                                    ")\n(p :title n :id (str \"i\" n) n (str n \"/\"))");
    EXPECT_EQ(Render(form), absl::StrCat("<p title=\"", n, "\" id=\"i", n, "\">", n, n, "/</p>"))
        << v;
  }
}

TEST(HtmlRender, EscapesTextAndAttributes) {
  EXPECT_EQ(Render(R"sx((p "<script>alert('x') & \"y\"</script>"))sx"),
            "<p>&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;</p>");
  EXPECT_EQ(Render(R"sx((a :title "\" onmouseover=\"x" "t"))sx"),
            R"sx(<a title="&quot; onmouseover=&quot;x">t</a>)sx");
  EXPECT_EQ(EscapeHtml("a<b>&'\""), "a&lt;b&gt;&amp;&#39;&quot;");
}

TEST(HtmlRender, RawIsTheOnlyWayOutAndOnlyFromCode) {
  EXPECT_EQ(Render(R"sx((div (raw! "<b>bold</b>")))sx"), "<div><b>bold</b></div>");
  // The same list as data (quoted, or received) is refused.
  EXPECT_TRUE(IsError(Render(R"sx((div (quote (raw! "<b>"))))sx")));
  EXPECT_TRUE(IsError(Render(R"sx((list (quote raw!) "<b>"))sx")));
  // raw! in an attribute value is still escaped.
  EXPECT_EQ(Render(R"sx((p :title (raw! "\"x") "t"))sx"), R"sx(<p title="&quot;x">t</p>)sx");
}

TEST(HtmlRender, VoidElements) {
  EXPECT_EQ(Render(R"sx((p (br) (img :src "/a.png" :alt "") (input :type :text)))sx"),
            R"sx(<p><br><img src="/a.png" alt=""><input type="text"></p>)sx");
  EXPECT_EQ(Render(R"sx((br nil false))sx"), "<br>");
  EXPECT_TRUE(IsError(Render(R"sx((br "text"))sx")));
  EXPECT_TRUE(IsError(Render(R"sx((img :src "/x" (span)))sx")));
}

TEST(HtmlRender, BooleanAndOmittedAttributes) {
  EXPECT_EQ(Render(R"sx((button :disabled true :hidden false :title nil "b"))sx"),
            "<button disabled>b</button>");
}

TEST(HtmlRender, AttributeNamesFromDataAreValidated) {
  for (const char* bad : {"on click", "a\"b", "x>y", "a=b", "a/b", "", "1x", "a'b"}) {
    std::string quoted;
    for (const char* c = bad; *c != 0; ++c) {
      if (*c == '"') quoted += '\\';
      quoted += *c;
    }
    std::string program = "(p (keyword \"" + quoted + "\") \"v\" \"t\")";
    // A keyword computed at run time among the arguments is an attribute of
    // the element data; its name is checked when rendered — or refused by
    // `keyword` itself when it could not even be written as one (a `type`
    // error: "on click", "a\"b", "").
    std::string out = Render(program);
    EXPECT_TRUE(IsError(out) || out.rfind("ERROR type: 'keyword' needs a name", 0) == 0)
        << bad << " -> " << out;
    EXPECT_NE(out.rfind("<p", 0), 0u) << bad;
  }
  EXPECT_EQ(Render(R"sx((p (keyword "hx-on:click") "go()" "t"))sx"),
            R"sx(<p hx-on:click="go()">t</p>)sx");
}

TEST(HtmlRender, ClassListsAndStyleDicts) {
  EXPECT_EQ(Render(R"sx((p :class (list "a" nil (list "b" false :c) 3) "t"))sx"),
            R"sx(<p class="a b c 3">t</p>)sx");
  EXPECT_EQ(Render(R"sx((p :class {:on true :off false} "t"))sx"), R"sx(<p class="on">t</p>)sx");
  EXPECT_EQ(Render(R"sx((p :style {:color "red" :margin-top 0 :x nil} "t"))sx"),
            R"sx(<p style="color:red;margin-top:0">t</p>)sx");
  EXPECT_TRUE(IsError(Render(R"sx((p :style {:color "red;background:url(x)"} "t"))sx")));
  EXPECT_TRUE(IsError(Render(R"sx((p :style {"a b" "red"} "t"))sx")));
  EXPECT_TRUE(IsError(Render(R"sx((p :title (list 1 2) "t"))sx")));
}

TEST(HtmlRender, UrlPolicy) {
  for (const char* bad : {"javascript:alert(1)", "JaVaScRiPt:x", "  javascript:x",
                          "java\\tscript:x", "java\\nscript:x", "data:text/html,x",
                          "vbscript:x", "\\u0001javascript:x", "a b:c",
                          "averyveryverylongscheme:x"}) {
    std::string program = std::string("(a :href \"") + bad + "\" \"t\")";
    EXPECT_TRUE(IsError(Refusing(program))) << bad;
  }
  for (const char* good : {"/p/1", "p/1?x=a:b", "#top", "https://x.org/a", "http://x",
                           "mailto:a@b.c", "tel:+1", "sexpr://h/p", "//cdn.x/a.js", "file_name.html", "my page.html",
                           "~user/x:y", "averyveryverylongpathsegmentname"}) {
    std::string program = std::string("(a :href \"") + good + "\" \"t\")";
    EXPECT_FALSE(IsError(Refusing(program))) << good;
  }
  EXPECT_TRUE(IsError(Refusing(R"sx((img :srcset "/a.png 1x, javascript:x 2x"))sx")));
  EXPECT_TRUE(IsError(Refusing(R"sx((form :action "javascript:x"))sx")));
  // Attribute names in any case (HTML lowercases them).
  EXPECT_TRUE(IsError(Refusing(R"sx((a :HREF "javascript:x" "t"))sx")));
  EXPECT_TRUE(IsError(Refusing(R"sx((a (keyword "Href") "javascript:x" "t"))sx")));
  EXPECT_TRUE(IsError(Refusing(R"sx((img :SrcSet "/a.png 1x, javascript:x 2x"))sx")));
  EXPECT_TRUE(IsError(Refusing(R"sx((a :HREF (str "java" "script:x") "t"))sx")));
  // srcdoc is a document of its own; a meta refresh carries a URL.
  EXPECT_TRUE(IsError(Refusing(R"sx((iframe :srcdoc "<p>hi</p>"))sx")));
  EXPECT_EQ(Render(R"sx((iframe :srcdoc nil))sx"), "<iframe></iframe>");
  for (const char* bad : {"0; url=javascript:alert(1)", "0;URL = 'javascript:x'",
                          "1, url='data:text/html,x'", "0; url=/ok; url=javascript:x"}) {
    std::string program = std::string("(meta :http-equiv \"refresh\" :content \"") + bad + "\")";
    EXPECT_TRUE(IsError(Refusing(program))) << bad;
  }
  EXPECT_FALSE(IsError(Refusing(R"sx((meta :http-equiv "refresh" :content "5; url=/next"))sx")));
  EXPECT_FALSE(IsError(Refusing(R"sx((meta :name "description" :content "see url: x"))sx")));
  RenderOptions any;
  any.url_policy = UrlPolicy::kAllowAll;
  EXPECT_EQ(Render(R"sx((a :href "javascript:x" "t"))sx", any), R"sx(<a href="javascript:x">t</a>)sx");
  EXPECT_EQ(Render(R"sx((iframe :srcdoc "<p>"))sx", any), R"sx(<iframe srcdoc="&lt;p&gt;"></iframe>)sx");
}

// Issue 20, item 2: a meta refresh names its URL in more ways than `url=`;
// the renderer reads the content as the HTML standard's refresh steps do.
TEST(HtmlRender, MetaRefreshParsedAsTheStandardDoes) {
  auto sx_string = [](std::string text) {  // `text` as the body of an sx string
    return absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"\"", "\\\""}});
  };
  for (const char* bad : {"0;javascript:alert(1)", "0 javascript:alert(1)",
                          ".5;javascript:alert(1)", "0; 'javascript:alert(1)'",
                          "0,data:text/html,<script>alert(1)</script>", "0;\tJaVaScRiPt:x",
                          "1.5.2 , \"vbscript:x\" trailing", "0;uRl=javascript:x",
                          "0; url =  \"javascript:x\"", "0;u javascript:x",
                          "  3\n;\njavascript:x"}) {
    std::string program =
        "(meta :http-equiv \"refresh\" :content \"" + sx_string(bad) + "\")";
    EXPECT_TRUE(IsError(Refusing(program))) << bad;
    // The same through the streaming path: the value computed at run time.
    std::string computed = "(define c \"" + sx_string(bad) +
                           "\") (div (meta :http-equiv \"refresh\" :content (str c)))";
    EXPECT_TRUE(IsError(Refusing(computed))) << bad;
  }
  for (const char* good : {"5", "5;", "0; url=/next", "0;/next", "0 https://x.org/", ".5, 'page.html'",
                           "refresh me", "a;javascript:x", "0javascript:x", "0;url"}) {
    std::string program =
        "(meta :http-equiv \"refresh\" :content \"" + sx_string(good) + "\")";
    EXPECT_FALSE(IsError(Refusing(program))) << good;
    EXPECT_EQ(Render(program).rfind("<meta", 0), 0u) << good;
  }
}

// Issue 20, item 19: the integration points spec/rendering.md names are
// elements, and hand their children back to HTML.
TEST(HtmlRender, EveryIntegrationPointIsAnElement) {
  EXPECT_EQ(Render(R"sx((svg (desc (style "a > b"))))sx"),
            "<svg><desc><style>a > b</style></desc></svg>");
  EXPECT_EQ(Render(R"sx((math (mtext (style "a > b")) (ms "x")))sx"),
            "<math><mtext><style>a > b</style></mtext><ms>x</ms></math>");
  EXPECT_EQ(Render(R"sx((math (mrow (munderover (mo "x") (mi "a") (mi "b")))))sx"),
            "<math><mrow><munderover><mo>x</mo><mi>a</mi><mi>b</mi></munderover></mrow></math>");
}

TEST(HtmlRender, ScriptAndStyleTextCannotCloseTheirElement) {
  EXPECT_EQ(Render(R"sx((script "if (a < b && c) {}"))sx"), "<script>if (a < b && c) {}</script>");
  EXPECT_EQ(Render(R"sx((style "p > a { color: red }"))sx"), "<style>p > a { color: red }</style>");
  EXPECT_TRUE(IsError(Refusing(R"sx((script "x</script><b>"))sx")));
  EXPECT_TRUE(IsError(Refusing(R"sx((script "x</ScRiPt >"))sx")));
  EXPECT_TRUE(IsError(Refusing(R"sx((style "</style><script>"))sx")));
  EXPECT_TRUE(IsError(Refusing(R"sx((script "<!-- <script>"))sx")));
  EXPECT_TRUE(IsError(Refusing(R"sx((script (b "x")))sx")));
  // The check sees the text the parser will: children joined, whichever
  // children spell the end tag or the comment opener.
  EXPECT_TRUE(IsError(Refusing(R"sx((script "<" "/script><img src=x onerror=alert(1)>"))sx")));
  EXPECT_TRUE(IsError(Refusing(R"sx((define lt "<") (style "a" lt "/STYLE>"))sx")));
  EXPECT_TRUE(IsError(Refusing(R"sx((script "<!" "-- x"))sx")));
  EXPECT_TRUE(IsError(Refusing(R"sx((script "<" (raw! "/script>")))sx")));
  EXPECT_EQ(Render(R"sx((script "a <" "/b" 1 nil "c"))sx"), "<script>a </b1c</script>");
}

// Issue 21: one user's data never fails a whole page. What the policy
// refuses is written inert and counted (spec/rendering.md, "Data that is
// neutralized"), data or literal, through the data and the streaming paths.
TEST(HtmlRender, UnsafeDataIsNeutralizedAndCounted) {
  RenderStats stats;
  RenderOptions o;
  o.stats = &stats;
  EXPECT_EQ(Render(R"sx((define url "javascript:alert(1)")
                       (ul (li (a :href url "x")) (li (a :href "/ok" "y"))))sx", o),
            R"(<ul><li><a href="about:invalid#unsafe-url">x</a></li><li><a href="/ok">y</a></li></ul>)");
  EXPECT_EQ(stats.unsafe_urls, 1u);
  EXPECT_EQ(stats.first, "unsafe URL in :href of <a> (allowed: relative, http, https, mailto, tel, sexpr)");
  EXPECT_EQ(Render(R"sx((a :href (str "java" "script:x") "t"))sx", o),
            R"(<a href="about:invalid#unsafe-url">t</a>)");
  EXPECT_EQ(Render(R"sx((img :srcset "/a.png 1x, javascript:x 2x"))sx", o),
            R"(<img srcset="about:invalid#unsafe-url">)");
  EXPECT_EQ(Render(R"sx((meta :http-equiv "refresh" :content "0;javascript:x"))sx", o),
            R"(<meta http-equiv="refresh">)");
  EXPECT_EQ(Render(R"sx((iframe :srcdoc "<p>hi</p>"))sx", o), "<iframe></iframe>");
  EXPECT_EQ(stats.unsafe_urls, 5u);
  EXPECT_EQ(Render(R"sx((script "var s = '</script><b>';"))sx", o),
            R"(<script>var s = '\u003c/script><b>';</script>)");
  EXPECT_EQ(Render(R"sx((script :type "application/json" "{\"a\":\"<!--\"}"))sx", o),
            R"(<script type="application/json">{"a":"\u003c!--"}</script>)");
  EXPECT_EQ(Render(R"sx((style "a::after{content:'</style>'}"))sx", o),
            R"(<style>a::after{content:'\3c /style>'}</style>)");
  EXPECT_EQ(Render(R"sx((script "<" "/script><img src=x onerror=alert(1)>"))sx", o),
            R"(<script>\u003c/script><img src=x onerror=alert(1)></script>)");
  EXPECT_EQ(stats.raw_text_escaped, 4u);
  // Text that would not end the element is unchanged.
  EXPECT_EQ(Render(R"sx((script "if (a < b) {}"))sx", o), "<script>if (a < b) {}</script>");
  EXPECT_EQ(stats.raw_text_escaped, 4u);
}

TEST(HtmlRender, ForeignContentEscapesScriptAndStyle) {
  // In SVG and MathML, <script> and <style> are ordinary elements whose text
  // the parser reads as markup: escaped like any text.
  EXPECT_EQ(Render(R"sx((svg (style "<img src=x onerror=alert(1)>")))sx"),
            "<svg><style>&lt;img src=x onerror=alert(1)&gt;</style></svg>");
  EXPECT_EQ(Render(R"sx((svg (g (script "a < b && </script>"))))sx"),
            "<svg><g><script>a &lt; b &amp;&amp; &lt;/script&gt;</script></g></svg>");
  EXPECT_EQ(Render(R"sx((math (style "<b>")))sx"), "<math><style>&lt;b&gt;</style></math>");
  // Where they hand back to HTML (HTML and MathML text integration points),
  // raw text again, and after the foreign element ends.
  EXPECT_EQ(Render(R"sx((svg (foreignObject (style "a > b"))))sx"),
            "<svg><foreignObject><style>a > b</style></foreignObject></svg>");
  EXPECT_EQ(Render(R"sx((math (mi (style "a > b"))))sx"),
            "<math><mi><style>a > b</style></mi></math>");
  EXPECT_EQ(Render(R"sx((div (svg (g)) (style "a > b")))sx"),
            "<div><svg><g></g></svg><style>a > b</style></div>");
  EXPECT_TRUE(IsError(Refusing(R"sx((svg (foreignObject (script "</script>"))))sx")));
  // A component knows its context only when it runs.
  EXPECT_EQ(Render(R"sx((defcomp ~css (&key t) (style t))
                         (div (~css :t "a > b") (svg (~css :t "a > b"))))sx"),
            "<div><style>a > b</style><svg><style>a &gt; b</style></svg></div>");
  // A failure inside svg caught by try leaves the context as it was.
  EXPECT_EQ(Render(R"sx((div (try (svg (error "x")) (catch e "c")) (style "a > b")))sx"),
            "<div>c<style>a > b</style></div>");
  // As data (a tree read from HTML) the same.
  Environment env;
  std::string html;
  StringSink sink(&html);
  EvalResult tree = env.Eval(R"sx('(div (svg (style "<i>")) (style "a > b")))sx");
  ASSERT_TRUE(tree.ok());
  ASSERT_TRUE(RenderData(tree.value(), sink).ok());
  EXPECT_EQ(html, "<div><svg><style>&lt;i&gt;</style></svg><style>a > b</style></div>");
}

TEST(HtmlRender, HeadPositionRule) {
  // Parameters named like elements hold data; the elements still render.
  EXPECT_EQ(Render(R"sx((defcomp ~doc (&key title nav code)
                         (div (title title) (nav nav) (code code)))
                       (~doc :title "T" :nav "N" :code "C"))sx"),
            "<div><title>T</title><nav>N</nav><code>C</code></div>");
  // A parameter holding a function is called.
  EXPECT_EQ(Render(R"sx((defcomp ~w (&key header) (div (header "x")))
                       (~w :header (fn (s) (h1 s))))sx"),
            "<div><h1>x</h1></div>");
  // map is a primitive: called, not an element.
  EXPECT_EQ(Render(R"sx((div (map (fn (x) (i x)) (list 1))))sx"), "<div><i>1</i></div>");
  // Neither callable nor an element: an error naming the symbol.
  std::string out = Render("(frobnicate 1)");
  EXPECT_NE(out.find("frobnicate"), std::string::npos);
  EXPECT_EQ(out.rfind("ERROR unbound", 0), 0u);
  out = Render("(list (quote frobnicate) 1)");
  EXPECT_NE(out.find("frobnicate"), std::string::npos);
  EXPECT_TRUE(IsError(out));
}

TEST(HtmlRender, ComponentsWithChildren) {
  EXPECT_EQ(Render(R"sx((defcomp ~card (&key title &rest children)
                         (article :class "card" (h2 title) children))
                       (~card :title "Hi" (p "a") (p "b")))sx"),
            R"sx(<article class="card"><h2>Hi</h2><p>a</p><p>b</p></article>)sx");
}

TEST(HtmlRender, TryDropsTheOutputOfAnElementThatFails) {
  // Issue 20 item 18: one user's bad data (a dict where text goes) failed
  // the whole page. Around a component, `try` now holds its output back
  // and drops it on an error, so the handler's value takes its place and
  // the rest of the page renders — also when the chunks are small enough
  // that the failed element's start would already have been handed over.
  const char* page =
      "(defcomp ~bio (&key x) (section (h2 \"About\") (p x)))"
      "(div (try (~bio :x {:a 1}) (catch e (span :class \"missing\" (:code e))))"
      "     (try (~bio :x \"fine\") (catch e \"never\"))"
      "     (try (~bio :x :kw))"
      "     (p \"rest\"))";
  const char* want =
      "<div><span class=\"missing\">render</span>"
      "<section><h2>About</h2><p>fine</p></section>"
      "<p>rest</p></div>";
  EXPECT_EQ(Render(page), want);
  RenderOptions tiny;
  tiny.chunk_bytes = 4;
  Environment env;
  std::string chunked;
  CallbackSink sink([&](std::string_view c) {
    chunked.append(c);
    return true;
  });
  EvalResult r = RenderHtml(env, page, sink, "t.sx", tiny);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(chunked, want);
  // Nested: the inner failure is handled inside; an outer one drops both.
  EXPECT_EQ(Render("(div (try (p \"a\" (try (b {:x 1}) (catch e \"!\")) \"c\")))"),
                   "<div><p>a!c</p></div>");
  EXPECT_EQ(Render("(div (try (p (try (b \"ok\")) {:x 1}) (catch e \"gone\")))"),
            "<div>gone</div>");
  // Limits are not caught: the page fails, and its output is not kept.
  std::string html;
  StringSink strings(&html);
  EvalLimits l;
  l.max_steps = 10'000;
  r = RenderHtml(env, "(define (spin) (spin)) (div (try (p \"x\" (spin)) (catch e \"no\")))", strings,
                 "t.sx", {}, l);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "step-limit");
  EXPECT_TRUE(html.empty());
}

TEST(HtmlRender, WhatCannotRender) {
  EXPECT_TRUE(IsError(Render("(p {:a 1})")));
  EXPECT_TRUE(IsError(Render("(p (fn (x) x))")));
  EXPECT_TRUE(IsError(Render("(p :title)")));
  EXPECT_TRUE(IsError(Render("(<> :class \"x\" (p))")));
  EXPECT_TRUE(IsError(Render("(p (quote sym))")));
}

TEST(HtmlRender, ErrorsArePositioned) {
  Environment env;
  std::string html;
  StringSink sink(&html);
  EvalResult r = RenderHtml(env, "(define x 1)\n(a :title (list 1 2) \"t\")", sink, "page.sx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "render");
  EXPECT_EQ(r.error().file, "page.sx");
  EXPECT_EQ(r.error().line, 2u);
}

TEST(HtmlRender, ChunkedSinksAndRefusal) {
  Environment env;
  std::vector<std::string> chunks;
  CallbackSink sink([&](std::string_view c) {
    chunks.emplace_back(c);
    return true;
  });
  RenderOptions small;
  small.chunk_bytes = 64;
  EvalResult r = RenderHtml(env, "(ul (map (fn (i) (li \"item \" i)) (range 100)))", sink, "", small);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_GT(chunks.size(), 10u);
  std::string joined;
  for (const auto& c : chunks) joined += c;
  EXPECT_EQ(static_cast<int64_t>(joined.size()), r.value().as_int());
  EXPECT_EQ(joined.rfind("<ul><li>item 0</li>", 0), 0u);
  int calls = 0;
  CallbackSink refusing([&](std::string_view) { return ++calls < 3; });
  r = RenderHtml(env, "(ul (map (fn (i) (li \"item \" i)) (range 100)))", refusing, "", small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "render");
}

TEST(HtmlRender, StringSinkAppendsOnlyWhatASuccessfulRenderWrote) {
  // The renderer writes into the string itself: what was there stays, the
  // page is appended, and a failed render leaves the string as it was.
  Environment env;
  const char* page = "(ul (map (fn (i) (li :class \"c\" \"item <\" i)) (range 20000)))";
  std::string chunked;
  CallbackSink callback([&](std::string_view c) {
    chunked.append(c);
    return true;
  });
  ASSERT_TRUE(RenderHtml(env, page, callback).ok());
  ASSERT_GT(chunked.size(), size_t{500000});  // many growth steps of the string
  for (std::string before : {std::string(), std::string("kept:"), std::string(70000, 'k')}) {
    std::string html = before;
    StringSink sink(&html);
    EvalResult r = RenderHtml(env, page, sink);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r.value().as_int(), static_cast<int64_t>(chunked.size()));
    EXPECT_EQ(html, before + chunked);
    for (const char* failing : {"(ul (map (fn (i) (li (if (= i 15000) (br \"x\") i))) (range 20000)))",
                                "(div (p \"partial\") (error \"thrown\"))",
                                "(div :title (list \"not\" (str \"text\" 1)))"}) {
      std::string again = before;
      StringSink failing_sink(&again);
      ASSERT_FALSE(RenderHtml(env, failing, failing_sink).ok()) << failing;
      EXPECT_EQ(again, before) << failing;
      EXPECT_FALSE(RenderCall(env, Value(), {}, failing_sink).ok());  // nil is not callable
      EXPECT_EQ(again, before);
    }
  }
}

TEST(HtmlRender, ARenderInsideAPrimitiveOfARenderSharesItsScratch) {
  // A host primitive that renders on the same environment while a render
  // runs: the outer render's values (made before and after) stay valid, and
  // no global may change meanwhile.
  Environment env;
  env.DefinePrimitive("inner", 1, 1, [&](CallContext& ctx, absl::Span<const Value> a) {
    std::string html;
    StringSink sink(&html);
    EvalResult r = RenderHtml(env, "(<> (map (fn (k) (b k)) (list 1 2)))", sink);
    if (!r.ok()) ctx.Fail("host", r.error().ToString());
    return ctx.MakeHtml(html);
  });
  env.DefinePrimitive("define-now", 0, 0, [&](CallContext& ctx, absl::Span<const Value>) {
    EvalResult r = env.Eval("(define late 1)");
    if (!r.ok()) ctx.Fail("host", r.error().message);
    return Value();
  });
  std::string html;
  StringSink sink(&html);
  // After each inner render the outer one allocates again (a fresh list of
  // strings): were the scratch emptied by the inner render, that would reuse
  // the memory of xs.
  EvalResult r = RenderHtml(env, R"sx((let [xs (map (fn (i) (str "item-" i "-xxxxxxxxxxxxxxxxxxxxxx")) (list 1 2 3))]
                                      (ul (map (fn (x) (li (inner x) (count (map (fn (k) (str "filler-" k "-" x)) (range 2000))) x))
                                               xs))))sx",
                            sink);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(html,
            "<ul><li><b>1</b><b>2</b>2000item-1-xxxxxxxxxxxxxxxxxxxxxx</li>"
            "<li><b>1</b><b>2</b>2000item-2-xxxxxxxxxxxxxxxxxxxxxx</li>"
            "<li><b>1</b><b>2</b>2000item-3-xxxxxxxxxxxxxxxxxxxxxx</li></ul>");
  html.clear();
  r = RenderHtml(env, "(p (define-now))", sink);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("a render cannot define"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(env.Eval("(define late 2)").ok());  // outside a render: fine
}

TEST(HtmlRender, RenderCallAndRenderData) {
  Environment env;
  ASSERT_TRUE(env.Eval("(defcomp ~hi (&key name) (p \"hi \" name))").ok());
  const Value* hi = env.Lookup("~hi");
  ASSERT_NE(hi, nullptr);
  Value args[] = {env.Keyword("name"), env.String("<ann>")};
  std::string html;
  StringSink sink(&html);
  ASSERT_TRUE(RenderCall(env, *hi, args, sink).ok());
  EXPECT_EQ(html, "<p>hi &lt;ann&gt;</p>");
  // Data from elsewhere renders by the same rules, with no code run.
  EvalResult data = env.Eval("(quote (div :class \"x\" (p \"<t>\")))");
  ASSERT_TRUE(data.ok());
  html.clear();
  ASSERT_TRUE(RenderData(data.value(), sink).ok());
  EXPECT_EQ(html, R"sx(<div class="x"><p>&lt;t&gt;</p></div>)sx");
}

TEST(HtmlRender, DeepDataDoesNotOverflowTheStack) {
  Environment env;
  EvalResult deep = env.Eval(
      "(define (wrap n acc) (if (= n 0) acc (wrap (- n 1) (list (quote div) acc))))"
      "(wrap 200000 \"x\")");
  ASSERT_TRUE(deep.ok()) << deep.error().ToString();
  std::string html;
  StringSink sink(&html);
  ASSERT_TRUE(RenderData(deep.value(), sink).ok());
  EXPECT_EQ(html.size(), 200000 * 11 + 1);
}

TEST(HtmlRender, SameTreeSameBytes) {
  const char* page = R"sx((defcomp ~c (&key n) (li :class (list "i" (str "n" n)) n))
                        (ul (map (fn (n) (~c :n n)) (range 50))))sx";
  EXPECT_EQ(Render(page), Render(page));
}

}  // namespace
}  // namespace sexp

namespace sexp {
namespace {

// Values made while rendering live in scratch memory released after each
// render: rendering the same page many times does not grow the Environment.
TEST(HtmlRenderMemory, RepeatedRendersDoNotGrowTheEnvironment) {
  Environment env;
  ASSERT_TRUE(env.Eval(R"sx((defcomp ~row (&key n) (tr (td (str "row " n)) (td (* n n))))
                           (defcomp ~table (&key rows) (table (map (fn (n) (~row :n n)) rows)))
                           (define *rows* (range 200)))sx").ok());
  const Value* table = env.Lookup("~table");
  const Value* rows = env.Lookup("*rows*");
  ASSERT_NE(table, nullptr);
  Value args[] = {env.Keyword("rows"), *rows};
  std::string first;
  size_t after_first = 0;
  for (int i = 0; i < 50; ++i) {
    std::string html;
    StringSink sink(&html);
    EvalResult r = RenderCall(env, *table, args, sink);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    if (i == 0) {
      first = html;
      after_first = env.bytes_used();
    }
    EXPECT_EQ(html, first);
  }
  EXPECT_EQ(env.bytes_used(), after_first);
}

TEST(HtmlRenderMemory, ARenderCannotChangeGlobals) {
  std::string out = Render("(define x 1) (div (define y 2) x)");
  EXPECT_EQ(out.rfind("ERROR render: a render cannot define or set! the global 'y'", 0), 0u) << out;
  out = Render("(define x 1) (div (set! x 2) x)");
  EXPECT_EQ(out.rfind("ERROR render", 0), 0u) << out;
}

// The HTML-only sink names of earlier releases are the one sink interface.
static_assert(std::is_same_v<HtmlSink, ByteSink> && std::is_same_v<HtmlStringSink, StringSink> &&
              std::is_same_v<HtmlFdSink, FdSink> && std::is_same_v<HtmlCallbackSink, CallbackSink>);

}  // namespace
}  // namespace sexp
