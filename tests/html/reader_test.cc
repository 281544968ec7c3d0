// HtmlToSx: the mapping of spec/html-reader.md, case by case.
#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sexp/sexp.h"
#include "test_util.h"

namespace sexp {
namespace {

using Mode = HtmlReadOptions::Mode;

// The root on one line in source order (Format with a width nothing
// reaches), or "ERROR <code>".
std::string Sx(std::string_view html, const HtmlReadOptions& o = {},
               HtmlReadStats* stats = nullptr) {
  Result<Document> doc = HtmlToSx(html, o, stats);
  if (!doc.ok()) return "ERROR " + std::string(ErrorCodeName(doc.error().code));
  EXPECT_EQ(doc->roots().size(), 1u);
  FormatOptions wide;
  wide.width = size_t{1} << 30;
  Result<std::string> text = Format(*doc, wide);
  EXPECT_TRUE(text.ok());
  std::string line = *text;
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

std::string InMode(Mode mode, std::string_view html, bool keep_whitespace) {
  HtmlReadOptions o;
  o.mode = mode;
  o.keep_whitespace = keep_whitespace;
  return Sx(html, o);
}
std::string Fragment(std::string_view html, bool keep_whitespace = true) {
  return InMode(Mode::kFragment, html, keep_whitespace);
}
std::string Document_(std::string_view html, bool keep_whitespace = true) {
  return InMode(Mode::kDocument, html, keep_whitespace);
}

TEST(HtmlReader, ElementsAttributesAndText) {
  EXPECT_EQ(Fragment("<p class=x id='y'>hello <b>world</b></p>"),
            R"((p :class "x" :id "y" "hello " (b "world")))");
  // Attributes keep their source order in the document (the canonical form
  // sorts them).
  EXPECT_EQ(Fragment("<a title=t href=/h>x</a>"), R"((a :title "t" :href "/h" "x"))");
  Result<Document> doc = HtmlToSx("<a title=t href=/h>x</a>");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(*Canonical(doc->roots()[0]), R"((a :href "/h" :title "t" "x"))");
  // Tag and attribute names are lowercased as HTML5 does.
  EXPECT_EQ(Fragment("<DIV CLASS=A><My-Widget Data-X=1>w</My-Widget></DIV>"),
            R"((div :class "A" (my-widget :data-x "1" "w")))");
  // Repeated attributes: the first wins (HTML5).
  EXPECT_EQ(Fragment("<p id=a id=b ID=c>"), R"((p :id "a"))");
}

TEST(HtmlReader, BooleanAttributes) {
  EXPECT_EQ(Fragment("<input disabled checked=\"\" value=\"\" hidden=hidden required=req>"),
            R"((input :disabled true :checked true :value "" :hidden "hidden" :required "req"))");
  EXPECT_EQ(Fragment("<details open><summary>s</summary></details>"),
            R"((details :open true (summary "s")))");
  EXPECT_EQ(Fragment("<video controls autoplay muted loop playsinline data-x>"),
            R"((video :controls true :autoplay true :muted true :loop true :playsinline true :data-x ""))");
  EXPECT_EQ(Fragment("<script async defer nomodule></script>"),
            R"((script :async true :defer true :nomodule true))");
  EXPECT_EQ(Fragment("<ol reversed><li>x</ol>"), R"((ol :reversed true (li "x")))");
}

TEST(HtmlReader, EntitiesAreDecoded) {
  EXPECT_EQ(Fragment("a &amp; b &lt;c&gt; &quot;&apos; &copy;&#65;&#x42;&nbsp;"),
            "\"a & b <c> \\\"' \xC2\xA9" "AB\xC2\xA0\"");
  EXPECT_EQ(Fragment("&notit; &amp &#128; &#0; &#x110000;"),
            "\"\xC2\xACit; & \xE2\x82\xAC \xEF\xBF\xBD \xEF\xBF\xBD\"");
  EXPECT_EQ(Fragment("<a href='/q?a=1&copy=2&amp;b=3' title='&lt;'>x</a>"),
            R"((a :href "/q?a=1&copy=2&b=3" :title "<" "x"))");
  // Not decoded where HTML5 does not decode.
  EXPECT_EQ(Fragment("<script>a &amp;&amp; b</script>"), R"((script "a &amp;&amp; b"))");
  EXPECT_EQ(Fragment("<textarea>&lt;b&gt;</textarea>"), R"((textarea "<b>"))");
}

TEST(HtmlReader, WhitespaceKeptByDefault) {
  EXPECT_EQ(Fragment("<div>\n  <p>a</p>\n</div>"), R"((div "\n  " (p "a") "\n"))");
  EXPECT_EQ(Fragment("  "), R"("  ")");
  EXPECT_EQ(Document_("<html>\n<head></head>\n<body> </body>\n</html>\n"),
            R"((html (head) "\n" (body " \n\n")))");  // after </body>: into body
}

TEST(HtmlReader, WhitespaceDroppedOnRequest) {
  EXPECT_EQ(Fragment("<div>\n  <p>a</p> <p> b </p>\n</div>", false),
            R"((div (p "a") (p " b ")))");
  // Kept in pre, listing, textarea and the raw-text elements, at any depth.
  EXPECT_EQ(Fragment("<pre>\n\n <b> </b></pre>", false), R"((pre "\n " (b " ")))");
  EXPECT_EQ(Fragment("<textarea>  </textarea><listing> </listing>", false),
            R"((<> (textarea "  ") (listing " ")))");
  EXPECT_EQ(Fragment("<script> </script><style>\t</style><title> </title>", false),
            R"((<> (script " ") (style "\t") (title " ")))");
  // A whole fragment of whitespace is an empty fragment.
  EXPECT_EQ(Fragment(" \n\t ", false), "(<>)");
  // Only whitespace-only text goes; text with a letter keeps its spaces.
  EXPECT_EQ(Fragment("<p> a <!-- c --> </p>", false), R"((p " a  "))");
  // Form feed is HTML whitespace too.
  EXPECT_EQ(Fragment("<p>\f</p>", false), "(p)");
}

TEST(HtmlReader, PreAndTextareaDropTheirFirstNewline) {
  EXPECT_EQ(Fragment("<pre>\nx</pre>"), R"((pre "x"))");
  EXPECT_EQ(Fragment("<pre>\n\nx</pre>"), R"((pre "\nx"))");
  EXPECT_EQ(Fragment("<textarea>\nx</textarea>"), R"((textarea "x"))");
}

TEST(HtmlReader, FragmentAndDocument) {
  // Auto: a document when it starts with a doctype or <html>.
  EXPECT_EQ(Sx("<!DOCTYPE html><title>t</title><p>x"),
            R"((html (head (title "t")) (body (p "x"))))");
  EXPECT_EQ(Sx("\xEF\xBB\xBF \n<!doctype html>"), "(html (head) (body))");
  EXPECT_EQ(Sx("<HTML lang=en>"), R"((html :lang "en" (head) (body)))");
  EXPECT_EQ(Sx("<!-- c --><?xml version=\"1.0\"?>\n<!DocType html><p>"),
            "(html (head) (body (p)))");
  EXPECT_EQ(Sx("<!--> <html>"), "(html (head) (body))");
  // Otherwise a fragment in a <body>: one node is the root, else (<> ...).
  EXPECT_EQ(Sx("<p>a</p>"), R"((p "a"))");
  EXPECT_EQ(Sx("<p>a</p><p>b</p>"), R"((<> (p "a") (p "b")))");
  EXPECT_EQ(Sx("text"), R"("text")");
  EXPECT_EQ(Sx("<htmlx>y</htmlx>"), R"((htmlx "y"))");
  EXPECT_EQ(Sx("x<!DOCTYPE html>"), R"("x")");
  EXPECT_EQ(Sx("<!-- unterminated <html>"), "(<>)");
  // In a fragment, <html>, <head> and <body> tags are ignored.
  EXPECT_EQ(Fragment("<html><head><title>t</title></head><body><p>x</body></html>"),
            R"((<> (title "t") (p "x")))");
  // Forced modes.
  EXPECT_EQ(Document_("<p>x"), R"((html (head) (body (p "x"))))");
  EXPECT_EQ(Fragment("<!DOCTYPE html><p>x"), R"((p "x"))");
}

TEST(HtmlReader, EmptyInput) {
  EXPECT_EQ(Sx(""), "(<>)");
  EXPECT_EQ(Fragment(""), "(<>)");
  EXPECT_EQ(Document_(""), "(html (head) (body))");
  HtmlReadStats stats;
  EXPECT_EQ(Sx("", {}, &stats), "(<>)");
  EXPECT_EQ(stats.depth, 1u);
  EXPECT_FALSE(stats.document);
}

TEST(HtmlReader, VoidElementsHaveNoChildren) {
  EXPECT_EQ(Fragment("<p>a<br>b<img src=x>c<hr><input><wbr></p>"),
            R"((<> (p "a" (br) "b" (img :src "x") "c") (hr) (input) (wbr) (p)))");
  EXPECT_EQ(Fragment("<br/>x<br></br>"), R"((<> (br) "x" (br) (br)))");
  // A self-closing slash on a non-void element is ignored.
  EXPECT_EQ(Fragment("<div/>x"), R"((div "x"))");
}

TEST(HtmlReader, TablesAsHtml5BuildsThem) {
  EXPECT_EQ(Fragment("<table><tr><td>x"), R"((table (tbody (tr (td "x")))))");
  EXPECT_EQ(Fragment("<table><td>a<td>b<tr><th>c</table>"),
            R"((table (tbody (tr (td "a") (td "b")) (tr (th "c")))))");
  // Foster parenting: text and stray elements move before the table.
  EXPECT_EQ(Fragment("<table>x<tr><td>y</td>z<b>w</b></tr></table>"),
            R"((<> "xz" (b "w") (table (tbody (tr (td "y"))))))");
  EXPECT_EQ(Fragment("<table><col><caption>c</table>"),
            R"((table (colgroup (col)) (caption "c")))");
}

TEST(HtmlReader, MisnestedMarkupIsRepairedAsHtml5Does) {
  EXPECT_EQ(Fragment("<b>1<i>2</b>3</i>"), R"((<> (b "1" (i "2")) (i "3")))");
  EXPECT_EQ(Fragment("<p>1<p>2"), R"((<> (p "1") (p "2")))");
  EXPECT_EQ(Fragment("<a href=1>x<a href=2>y</a>"),
            R"((<> (a :href "1" "x") (a :href "2" "y")))");
  EXPECT_EQ(Fragment("<ul><li>a<li>b</ul>"), R"((ul (li "a") (li "b")))");
  EXPECT_EQ(Fragment("</p>"), "(p)");
  // <rb> and <rtc> end an open <rb> (the current standard).
  EXPECT_EQ(Fragment("<ruby>a<rb>b<rb>c<rtc><rt>d</ruby>"),
            R"((ruby "a" (rb "b") (rb "c") (rtc (rt "d"))))");
  EXPECT_EQ(Fragment("</span>x"), R"("x")");
}

TEST(HtmlReader, SvgAndMathMlKeepTheirCase) {
  EXPECT_EQ(
      Fragment("<svg viewbox='0 0 1 1' preserveaspectratio=none><foreignobject><p>x</p>"
               "</foreignobject><clippath/><lineargradient gradientunits='u'/>"
               "<fegaussianblur stddeviation='2'/><textpath/></svg>"),
      R"((svg :viewBox "0 0 1 1" :preserveAspectRatio "none" (foreignObject (p "x")) )"
      R"((clipPath) (linearGradient :gradientUnits "u") (feGaussianBlur :stdDeviation "2") )"
      R"((textPath)))");
  // Foreign attributes are written with their prefix.
  EXPECT_EQ(Fragment("<svg xmlns:xlink=u xml:lang=en><use xlink:href=#a xmlns=n>"),
            R"((svg :xmlns:xlink "u" :xml:lang "en" (use :xlink:href "#a" :xmlns "n")))");
  // Unknown SVG tags keep the (lowercased) source name.
  EXPECT_EQ(Fragment("<svg><MyShape/></svg>"), "(svg (myshape))");
  EXPECT_EQ(Fragment("<math definitionurl=d><mi>x</mi><annotation-xml></annotation-xml></math>"),
            R"((math :definitionURL "d" (mi "x") (annotation-xml)))");
  // In HTML, the same names are lowercase.
  EXPECT_EQ(Fragment("<div viewBox=1><foreignObject>"), R"((div :viewbox "1" (foreignobject)))");
  // CDATA sections are text in foreign content.
  EXPECT_EQ(Fragment("<svg><![CDATA[a<b]]>c</svg>"), R"((svg "a<bc"))");
}

TEST(HtmlReader, NamesThatAreNotSxAreDroppedAndCounted) {
  HtmlReadStats stats;
  EXPECT_EQ(Sx("<p a(b=1 c\"d=2 e;f=3 g'h=4 i`j=5 k,l=6 m[n=7 o{p=8 ok=9 :v=10 @x=11>t",
               {}, &stats),
            R"((p :ok "9" ::v "10" :@x "11" "t"))");
  EXPECT_EQ(stats.dropped_attributes, 8u);
  EXPECT_EQ(stats.attributes, 3u);
  // Tag names that are not symbols (or are raw! and <>): the element goes,
  // its children stay, and text around it merges.
  stats = {};
  EXPECT_EQ(Sx("<p>a<x;y>b<i>c</i></x;y>d<raw!>e</raw!><true>f</true><nil>g</nil></p>", {},
               &stats),
            R"((p "ab" (i "c") "defg"))");
  EXPECT_EQ(stats.unwrapped_elements, 4u);
  EXPECT_EQ(stats.elements, 2u);
  // Non-ASCII names are fine.
  EXPECT_EQ(Fragment("<p data-ü=1><x-ünïcode>x</x-ünïcode>"),
            R"((p :data-ü "1" (x-ünïcode "x")))");
  // (A tag name starts with an ASCII letter: "<ü" is text.)
  EXPECT_EQ(Fragment("<ü>"), R"("<ü>")");
}

TEST(HtmlReader, CommentsDoctypeAndProcessingInstructionsAreDropped) {
  EXPECT_EQ(Fragment("a<!-- c -->b<?php x ?>c<!x>d<![CDATA[e]]>f"), R"("abcdf")");
  EXPECT_EQ(Sx("<!DOCTYPE html><!-- c --><html><!-- d --><body><!-- e --></body></html>"),
            "(html (head) (body))");
}

TEST(HtmlReader, InvalidUtf8BecomesReplacementCharacters) {
  const std::string r = "\xEF\xBF\xBD";
  // One U+FFFD per maximal ill-formed subsequence (the WHATWG decoder).
  EXPECT_EQ(Fragment("a\xFF" "b\xC0\xAF" "c\xE2\x82" "d\xED\xA0\x80" "e\xF0\x9F\x98"),
            "\"a" + r + "b" + r + r + "c" + r + "d" + r + r + r + "e" + r + "\"");
  EXPECT_EQ(Fragment("<p t='\xFE'>\xE2"), "(p :t \"" + r + "\" \"" + r + "\")");
  // Every string of the result is valid UTF-8 (Builder::String checks).
  EXPECT_TRUE(HtmlToSx("<\xFF\xFE x\xFF=\xFF>\xFF</\xFF\xFE>").ok());
}

TEST(HtmlReader, Gumbo0101ReplacesRawControlCharacters) {
  // A deviation of gumbo 0.10.1 from the HTML standard, pinned here: raw
  // control characters (other than tab, LF, FF, CR) and noncharacters come
  // out as U+FFFD. As character references they are kept. NUL in text is
  // dropped, NUL in attributes becomes U+FFFD (both as HTML5 says).
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(Fragment(std::string("a\x01" "b\x7F" "c\xC2\x80" "d\xEF\xB7\x90")),
            "\"a" + r + "b" + r + "c" + r + "d" + r + "\"");
  EXPECT_EQ(Fragment("&#1;&#x7f;"), R"("\u0001)" "\x7F\"");
  EXPECT_EQ(Fragment(std::string("<p x='a\0b'>c\0d", 15)), "(p :x \"a" + r + "b\" \"cd\")");
  // CR and CRLF are newlines.
  EXPECT_EQ(Fragment("a\r\nb\rc"), R"("a\nb\nc")");
}

TEST(HtmlReader, FragmentsLeaveForeignContentAsTheStandardSays) {
  // gumbo's own fragment mode would nest the <p> in the <svg>.
  EXPECT_EQ(Fragment("<svg><p>x"), R"((<> (svg) (p "x")))");
  EXPECT_EQ(Fragment("<div><math><mi>a</mi><b>b</b>"), R"((div (math (mi "a")) (b "b")))");
  EXPECT_EQ(Fragment("<svg><foreignObject><p>x</p></foreignObject><g/></svg>"),
            R"((svg (foreignObject (p "x")) (g)))");
  // Fragments are in no-quirks mode: <table> closes an open <p>.
  EXPECT_EQ(Fragment("<p>a<table></table>"), R"((<> (p "a") (table)))");
  // <frameset> in a fragment is ignored.
  EXPECT_EQ(Fragment("<frameset><frame>x"), R"("x")");
}

TEST(HtmlReader, Gumbo0101EndTagsOfUnknownElements) {
  // A deviation of gumbo 0.10.1, pinned here: the end tag of an unknown
  // element closes the innermost open unknown element, whatever its name
  // (HTML5: (foo "ab")). Correct nesting is unaffected.
  EXPECT_EQ(Fragment("<foo>a</bar>b"), R"((<> (foo "a") "b"))");
  EXPECT_EQ(Fragment("<my-card><x-icon></x-icon></my-card>after"),
            R"((<> (my-card (x-icon)) "after"))");
}

TEST(HtmlReader, TemplateContentsAreChildren) {
  EXPECT_EQ(Fragment("<template id=t><p>x</p></template>"), R"((template :id "t" (p "x")))");
  EXPECT_EQ(Document_("<head><template><tr><td>c</td></tr></template></head>"),
            R"((html (head (template (tr (td "c")))) (body)))");
}

TEST(HtmlReader, TextBeforeAFormEndTagStaysInTheForm) {
  // gumbo 0.10.1 puts it after the form; the reader moves it back.
  EXPECT_EQ(Fragment("<form>x</form>y"), R"((<> (form "x") "y"))");
  EXPECT_EQ(Fragment("<div><form>a <b>b</b> c &amp; d</FORM >e</div>"),
            R"((div (form "a " (b "b") " c & d") "e"))");
  EXPECT_EQ(Fragment("<form>a<form>b</form>c"), R"((<> (form "ab") "c"))");
  EXPECT_EQ(Fragment("<form>a</span>b</form>c"), R"((<> (form "ab") "c"))");
  EXPECT_EQ(Fragment("<form><input>\n</form>"), R"((form (input) "\n"))");
  EXPECT_EQ(Fragment("<form><div>x</form>y"), R"((form (div "xy")))");
  EXPECT_EQ(Fragment("<form>x</form></form>y"), R"((<> (form "x") "y"))");
}

TEST(HtmlReader, DepthLimit) {
  std::string html = "<div>\n";
  for (int i = 0; i < 10; ++i) html += "<span>";
  HtmlReadOptions o;
  o.mode = Mode::kFragment;
  o.max_depth = 11;
  HtmlReadStats stats;
  EXPECT_EQ(HtmlToSx(html, o, &stats).ok(), true);
  EXPECT_EQ(stats.depth, 11u);
  o.max_depth = 10;
  Result<Document> r = HtmlToSx(html, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kDepthLimit);
  EXPECT_EQ(r.error().line, 2u);  // the 10th <span>, the 11th level
  EXPECT_EQ(r.error().column, 1u + 9 * 6);
  EXPECT_EQ(r.error().offset, 6u + 9 * 6);
  EXPECT_NE(r.error().message.find("max_depth (10)"), std::string::npos);
  // A fragment of several nodes has (<> ...) around them: one level more.
  o.max_depth = 2;
  EXPECT_TRUE(HtmlToSx("<p><b>x</b></p>", o).ok());
  r = HtmlToSx("<p><b>x</b></p><p></p>", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kDepthLimit);
  EXPECT_EQ(r.error().column, 4u);  // the <b>
  // When the wrapper is known only at the end, the error still names the
  // first element too deep.
  r = HtmlToSx("<p><b><i>x</i></b></p>tail", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().column, 4u);  // the <b>, level 3 inside (<> ...)
  r = HtmlToSx("<p><b><i>x</i></b></p>", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().column, 7u);  // the <i>, level 3 as the one root
  // max_depth 0: only a string root fits.
  o.max_depth = 0;
  EXPECT_TRUE(HtmlToSx("text", o).ok());
  r = HtmlToSx("", o);  // (<>) is level 1 and has no source position
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().line, 0u);
  EXPECT_EQ(HtmlToSx("<p>", o).error().column, 1u);
  // A document counts html and body: <p> is level 3.
  o.mode = Mode::kDocument;
  o.max_depth = 2;
  r = HtmlToSx("<p>", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().column, 1u);
  // Parser-made elements have no position.
  o.max_depth = 1;
  r = HtmlToSx("<p>", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().line, 0u);
  EXPECT_EQ(r.error().ToString(), "depth-limit: HTML nested deeper than max_depth (1)");
  // The byte order mark counts in offsets.
  o.mode = Mode::kFragment;
  r = HtmlToSx("\xEF\xBB\xBF<p><b>", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().offset, 6u);
}

TEST(HtmlReader, DefaultDepthMatchesTheReader) {
  // What HtmlToSx accepts with the default max_depth reads back with the
  // reader's default.
  std::string html;
  for (int i = 0; i < 1024; ++i) html += "<span>";
  Result<Document> doc = HtmlToSx(html);
  ASSERT_TRUE(doc.ok()) << doc.error().ToString();
  EXPECT_TRUE(ReadOne(*Canonical(doc->roots()[0])).ok());
  EXPECT_EQ(HtmlToSx(html + "<span>").error().code, ErrorCode::kDepthLimit);
}

TEST(HtmlReader, SizeLimit) {
  HtmlReadOptions o;
  o.max_size = 10;
  EXPECT_TRUE(HtmlToSx("0123456789", o).ok());
  Result<Document> r = HtmlToSx("0123456789a", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kSizeLimit);
  EXPECT_EQ(r.error().offset, 10u);
  EXPECT_NE(r.error().message.find("max_size"), std::string::npos);
}

TEST(HtmlReader, Timeout) {
  // gumbo's scope checks make deep <div> nesting quadratic; a timeout ends it.
  std::string html;
  for (int i = 0; i < 40000; ++i) html += "<div>";
  HtmlReadOptions o;
  o.timeout = std::chrono::milliseconds(1);
  o.max_depth = 100000;
  Result<Document> r = HtmlToSx(html, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(r.error().ToString(), "timeout: HTML parsing took longer than the timeout (1 ms)");
  EXPECT_EQ(r.error().ToStatus().code(), absl::StatusCode::kDeadlineExceeded);
  o.timeout = std::chrono::milliseconds(60000);
  EXPECT_TRUE(HtmlToSx("<p>quick", o).ok());
}

TEST(HtmlReader, Stats) {
  HtmlReadStats stats;
  Sx("<!DOCTYPE html><p class=a>x<!--c-->y<br>z", {}, &stats);
  EXPECT_TRUE(stats.document);
  EXPECT_EQ(stats.elements, 5u);  // html head body p br
  EXPECT_EQ(stats.texts, 2u);     // "xy" "z"
  EXPECT_EQ(stats.attributes, 1u);
  EXPECT_EQ(stats.depth, 4u);
  EXPECT_EQ(stats.dropped_attributes, 0u);
  EXPECT_EQ(stats.unwrapped_elements, 0u);
}

TEST(HtmlReader, OutputReadsBackAndOwnsItsText) {
  std::string html = "<div id='q\\\"'>a \"quoted\" \\ text\n<p>\t</div>";
  Result<Document> doc = HtmlToSx(html);
  html.assign(html.size(), 'X');  // the document does not borrow the input
  ASSERT_TRUE(doc.ok());
  Result<std::string> c = Canonical(doc->roots()[0]);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, R"((div :id "q\\\"" "a \"quoted\" \\ text\n" (p "\t")))");
  Result<Document> back = ReadOne(*c);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(Equal(back->roots()[0], doc->roots()[0]));
  EXPECT_EQ(testing::CheckRoundTrip(*doc), "");
}

TEST(HtmlReader, ConcurrentCallsAgree) {
  std::string page = testing::ReadFileOrDie(std::string(SEXP_SOURCE_DIR) +
                                            "/tests/oracles/html/blog-post.html");
  std::string expected = *Canonical(HtmlToSx(page)->roots()[0]);
  std::vector<std::thread> threads;
  std::atomic<int> agree{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        Result<Document> doc = HtmlToSx(page);
        if (doc.ok() && *Canonical(doc->roots()[0]) == expected) ++agree;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(agree.load(), 200);
}

TEST(HtmlReader, TimeoutErrorCodeName) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kTimeout), "timeout");
}

// gumbo 0.10.1 aborts the process on CDATA text in a MathML or SVG
// integration point under a table insertion mode when a character follows
// (see Parse in src/html/reader.cc). Each of these aborted before the
// reader worked around it; each now reads as html5lib reads it (the
// tests/oracles/html/cdata-in-table-*.html files check that), the CDATA text
// staying in its element.
TEST(HtmlReader, CdataInAnIntegrationPointUnderATableDoesNotAbort) {
  EXPECT_EQ(Sx("<table><math><mi></><![CDATA[t]]><"), R"((<> (math (mi "t<")) (table)))");
  EXPECT_EQ(Sx("<table><math><mi><![CDATA[a<b & c]]> x</mi></math><tr><td>1"),
            R"((<> (math (mi "a<b & c x")) (table (tbody (tr (td "1"))))))");
  EXPECT_EQ(Sx("<table><tr><svg><foreignObject><![CDATA[t]]>y</foreignObject></svg><td>2"),
            R"((<> (svg (foreignObject "ty")) (table (tbody (tr (td "2"))))))");
  EXPECT_EQ(Sx("<table><svg><desc><![CDATA[d]]> </desc><title><![CDATA[]]>z"),
            R"((<> (svg (desc "d ") (title "z")) (table)))");
  // A <template> reaches the table modes without a <table>.
  EXPECT_EQ(Sx("<template><tr><math><mo><![CDATA[o]]>p"),
            R"((template (tr) (math (mo "op"))))");
  EXPECT_EQ(Sx("<table><math><mtext><![CDATA[q]]><![CDATA[r]]>s</mtext></math></table>"),
            R"((<> (math (mtext "qrs")) (table)))");
}

TEST(HtmlReader, TheCdataWorkaroundKeepsOffsetsAndLeavesOtherInputAlone) {
  // Error positions are those of the input, not of the text gumbo parsed.
  HtmlReadOptions o;
  o.max_depth = 3;
  std::string html = "<table><svg><desc><![CDATA[a]]>b</desc></svg></table>\n<p><b><i>x";
  Result<Document> doc = HtmlToSx(html, o);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, ErrorCode::kDepthLimit);
  EXPECT_EQ(doc.error().offset, html.find("<i>"));
  EXPECT_EQ(doc.error().line, 2u);
  EXPECT_EQ(doc.error().column, 7u);
  // Without <svg>/<math> or without <table>/<template> the abort cannot
  // happen and the input is parsed as it is: a "]]>" in raw text is kept.
  EXPECT_EQ(Sx("<svg><![CDATA[x]]></svg><textarea><![CDATA[y]]></textarea>"),
            R"((<> (svg "x") (textarea "<![CDATA[y]]>")))");
  EXPECT_EQ(Sx("<table><tr><td><textarea><![CDATA[y]]></textarea>"),
            R"((table (tbody (tr (td (textarea "<![CDATA[y]]>"))))))");
  // With all three, it is changed there (the documented deviation).
  EXPECT_EQ(Sx("<table><svg></svg></table><textarea><![CDATA[y]]></textarea>"),
            R"((<> (svg) (table) (textarea "<![CDATA[y]]><?>")))");
}

}  // namespace
}  // namespace sexp

namespace sexp {
namespace {

// The sanitizing profile (spec/html-reader.md §11, activitypub.md §11.1).
std::string Sanitized(std::string_view html, HtmlReadStats* stats = nullptr) {
  HtmlReadOptions o;
  o.mode = HtmlReadOptions::Mode::kFragment;
  o.sanitize = true;
  return Sx(html, o, stats);
}

TEST(HtmlReaderSanitize, TheProfile) {
  HtmlReadStats stats;
  EXPECT_EQ(Sanitized(R"~(<img src="https://a.example/i.png" onload="alert(1)" alt="i" style="border:0" id="y">)~",
                      &stats),
            R"((img :src "https://a.example/i.png" :alt "i"))");
  EXPECT_EQ(stats.dropped_attributes, 3u);  // onload, style, id
  EXPECT_EQ(Sanitized(R"~(<a href=" jav&#x09;asc&#x0A;ript:alert(1)">y</a>)~", &stats), R"((a "y"))");
  EXPECT_EQ(stats.unsafe_urls, 1u);
  EXPECT_EQ(Sanitized(R"(<img src="data:image/png;base64,iVBORw0KGgo=" alt="pic">)"),
            R"((img :alt "pic"))");
  EXPECT_EQ(Sanitized(R"(<p>a<font color="red">b</font><custom-el>c</custom-el>d</p>)", &stats),
            R"((p "abcd"))");
  EXPECT_EQ(stats.unwrapped_elements, 2u);
  EXPECT_EQ(Sanitized(R"~(<iframe src="https://x"></iframe><svg><script>x()</script></svg>)~"
                      R"(<style>p{}</style><form><input name="q"></form>)",
                      &stats),
            "(<>)");
  EXPECT_EQ(stats.dropped_elements, 4u);
  EXPECT_EQ(Sanitized(R"(<p>a<script>x</script>b</p>)"), R"((p "ab"))");
  EXPECT_EQ(Sanitized(R"(<ol start="3" reversed><li value="5">x</li></ol><blockquote cite="vbscript:x" class="q">q</blockquote>)"),
            R"((<> (ol :start "3" :reversed true (li :value "5" "x")) (blockquote :class "q" "q")))");
  for (const char* kept : {"/tags/x", "mailto:a@b.example", "sexpr://h/p", "//cdn.example/x",
                           "https://a.example/?q=javascript:x"}) {
    EXPECT_EQ(Sanitized(std::string("<a href=\"") + kept + "\">r</a>"),
              std::string("(a :href \"") + kept + "\" \"r\")")
        << kept;
  }
  // Without the profile nothing of this is dropped.
  EXPECT_EQ(Sx(R"(<p onclick="x">a<script>b</script></p>)"), R"((p :onclick "x" "a" (script "b")))");
}

}  // namespace
}  // namespace sexp
