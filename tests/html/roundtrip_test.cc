// Round-trip stability of the HTML mapping on its own terms: the sx that
// HtmlToSx makes, written back as HTML by a small serializer that lives only
// in this test, reads again to the same sx (compared in canonical form).
//
// TestOnlyHtmlSerializer is NOT the library's HTML renderer (that is a
// separate component with its own rules, escaping and validation); it
// follows the HTML standard's fragment serialization algorithm just far
// enough to write back what the reader produces: void elements without end
// tags, raw-text elements unescaped, a newline doubled after <pre>, foreign
// (SVG, MathML) content tracked so that <style> or <script> inside <svg> is
// escaped.
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "sexp/sexp.h"
#include "test_util.h"

namespace sexp {
namespace {

class TestOnlyHtmlSerializer {
 public:
  // HTML for `root`, a root HtmlToSx made; `document` adds the doctype.
  static std::string Write(const Node& root, bool document) {
    TestOnlyHtmlSerializer s;
    if (document) s.out_ = "<!DOCTYPE html>";
    s.WriteNode(root, Context{});
    return s.out_;
  }

 private:
  struct Context {
    bool foreign = false;  // inside <svg> or <math>, outside integration points
    bool raw = false;      // inside an HTML raw-text element: no escaping
  };

  static bool In(std::string_view name, std::initializer_list<std::string_view> names) {
    for (std::string_view n : names) {
      if (n == name) return true;
    }
    return false;
  }

  void WriteText(std::string_view text, bool in_attribute) {
    for (unsigned char c : text) {
      if (c == '&') {
        out_ += "&amp;";
      } else if (c == '"' && in_attribute) {
        out_ += "&quot;";
      } else if ((c == '<' || c == '>') && !in_attribute) {
        out_ += c == '<' ? "&lt;" : "&gt;";
      } else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\f') || c == 0x7F) {
        out_ += "&#" + std::to_string(c) + ";";  // raw, gumbo would replace them
      } else {
        out_ += static_cast<char>(c);
      }
    }
  }

  void WriteNode(const Node& node, Context ctx) {
    if (done_) return;
    if (node.is_string()) {
      if (ctx.raw) {
        out_ += node.str();
      } else {
        WriteText(node.str(), false);
      }
      return;
    }
    ASSERT_TRUE(node.is_list() && node.size() > 0 && node[0].is_symbol());
    std::string_view name = node[0].name();
    size_t i = 1;
    if (name == "<>") {
      for (; i < node.size(); ++i) WriteNode(node[i], ctx);
      return;
    }
    out_ += "<";
    out_ += name;
    std::string_view encoding;
    for (; i + 1 < node.size() && node[i].is_keyword(); i += 2) {
      out_ += " ";
      out_ += node[i].name();
      if (node[i + 1].is_bool()) continue;
      out_ += "=\"";
      WriteText(node[i + 1].str(), true);
      out_ += "\"";
      if (node[i].name() == "encoding") encoding = node[i + 1].str();
    }
    out_ += ">";
    Context inner;
    if (!ctx.foreign) {
      inner.foreign = name == "svg" || name == "math";
      inner.raw = !inner.foreign && In(name, {"script", "style", "xmp", "iframe", "noembed",
                                              "noframes", "plaintext"});
      if (!inner.foreign && In(name, {"area", "base", "br", "col", "embed", "hr", "img",
                                      "input", "link", "meta", "source", "track", "wbr",
                                      "basefont", "bgsound", "frame", "keygen", "param"})) {
        return;
      }
    } else {
      inner.foreign = !In(name, {"foreignObject", "desc", "title", "mi", "mo", "mn", "ms",
                                 "mtext"}) &&
                      !(name == "annotation-xml" &&
                        (encoding == "text/html" || encoding == "application/xhtml+xml"));
    }
    if (!ctx.foreign && In(name, {"pre", "textarea", "listing"}) && i < node.size() &&
        node[i].is_string() && node[i].str().substr(0, 1) == "\n") {
      out_ += "\n";  // the parser drops one newline after the start tag
    }
    for (; i < node.size(); ++i) WriteNode(node[i], inner);
    if (!ctx.foreign && name == "plaintext") {
      done_ = true;  // nothing can follow: </plaintext> would be text
      return;
    }
    out_ += "</";
    out_ += name;
    out_ += ">";
  }

  std::string out_;
  bool done_ = false;
};

// "" when HtmlToSx(html) is stable through the test serializer, else what
// differs.
std::string CheckStable(std::string_view html, bool keep_whitespace) {
  HtmlReadOptions o;
  o.keep_whitespace = keep_whitespace;
  HtmlReadStats stats;
  Result<Document> first = HtmlToSx(html, o, &stats);
  if (!first.ok()) return "first read failed: " + first.error().ToString();
  std::string written = TestOnlyHtmlSerializer::Write(first->roots()[0], stats.document);
  o.mode = stats.document ? HtmlReadOptions::Mode::kDocument : HtmlReadOptions::Mode::kFragment;
  Result<Document> second = HtmlToSx(written, o);
  if (!second.ok()) return "second read failed: " + second.error().ToString();
  std::string a = *Canonical(first->roots()[0]);
  std::string b = *Canonical(second->roots()[0]);
  if (a == b) return "";
  size_t at = 0;
  while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
  size_t from = at > 80 ? at - 80 : 0;
  return "differs at " + std::to_string(at) + "\n  first:  ..." + a.substr(from, 200) +
         "\n  second: ..." + b.substr(from, 200) + "\n  written HTML:\n" + written;
}

TEST(HtmlRoundTrip, OracleCorpusIsStable) {
  auto files = testing::SourceFiles("tests/oracles/html", ".html");
  EXPECT_GE(files.size(), 25u);
  for (const auto& [name, html] : files) {
    SCOPED_TRACE(name);
    EXPECT_EQ(CheckStable(html, true), "");
    EXPECT_EQ(CheckStable(html, false), "");
  }
}

TEST(HtmlRoundTrip, ParserRepairsAreStable) {
  for (const char* html : {
           "<table>x<tr><td>y</td>z<b>w</b></tr></table>",  // foster parenting
           "<b>1<i>2</b>3</i>", "<b>1<p>2</b>3</p>",        // adoption agency
           "<a href=1>x<div>y</a>z</div>",
           "<p>1<p>2<ul><li>a<li>b</ul>",
           "<table><td>a<td>b<tr><th>c<caption>late</table>",
           "<select><option>a<optgroup><option>b</select>",
           "<form>a</form>b<form><input>\n</form>",
           "<pre>\n\nx</pre><textarea>\nq</textarea><listing>\n</listing>",
           "<script>if (a<b && c>d) x('</p>')</script><style>p>q{}</style>",
           "<svg><style>a<b{}</style><script>1<2</script><foreignObject><p>x"
           "<style>y<z</style></foreignObject></svg>",
           "<math><annotation-xml encoding=text/html><p>h</p></annotation-xml></math>",
           "<svg viewBox='0 0 1 1'><use xlink:href='#a'/></svg>",
           "&#1;&#x7f;&nbsp;&amp;&lt;&gt;\"'",
           "<p title='&quot;&amp;&#9;'>x</p>",
           "<input disabled value=''><details open>d</details>",
           "<template><tr><td>t</td></tr></template>",
           "<plaintext><b>all text",
           "<!DOCTYPE html><html lang=en><head><title>t</title></head>\n<body>b</body></html>\n",
           "<!DOCTYPE html><frameset><frame src=a><noframes>n</noframes></frameset>",
           "<x;y>unwrapped<a(b=1 c=2>x</x;y>",
       }) {
    SCOPED_TRACE(html);
    EXPECT_EQ(CheckStable(html, true), "");
    EXPECT_EQ(CheckStable(html, false), "");
  }
}

TEST(HtmlRoundTrip, SerializerBasics) {
  Result<Document> doc = ReadOne(R"((p :class "a\"b" :hidden true "x<y & z" (br)))");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(TestOnlyHtmlSerializer::Write(doc->roots()[0], false),
            "<p class=\"a&quot;b\" hidden>x&lt;y &amp; z<br></p>");
}

}  // namespace
}  // namespace sexp
