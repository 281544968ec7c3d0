// The HTML reader's fast path (libsexp/src/html/simple_fragment.h) against
// gumbo: on post content as servers send it (which it must accept, or the
// speed-up is not there) and on generated markup in and just outside its
// subset, whatever it accepts reads the same as gumbo reads it, with the
// same counts, with and without the sanitizing profile.
#include "html/simple_fragment.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sexp/core/writer.h"
#include "sexp/html/reader.h"

namespace sexp::html_internal {
namespace {

struct Read {
  bool accepted = false;
  std::string fast, slow;
  HtmlReadStats fast_stats, slow_stats;
};

Read Both(std::string_view html, bool sanitize) {
  HtmlReadOptions o;
  o.mode = HtmlReadOptions::Mode::kFragment;
  o.sanitize = sanitize;
  Read r;
  Builder fb, sb;
  Node fast;
  r.accepted = ReadSimpleFragment(html, fb, o, &r.fast_stats, &fast);
  if (r.accepted) r.fast = *Canonical(fast);
  Result<Node> slow = ReadWithGumbo(html, sb, o, &r.slow_stats);
  r.slow = slow.ok() ? *Canonical(slow.value()) : "error " + slow.error().ToString();
  return r;
}

void ExpectSame(std::string_view html) {
  for (bool sanitize : {false, true}) {
    Read r = Both(html, sanitize);
    if (!r.accepted) continue;
    EXPECT_EQ(r.fast, r.slow) << html;
    EXPECT_EQ(r.fast_stats.elements, r.slow_stats.elements) << html;
    EXPECT_EQ(r.fast_stats.texts, r.slow_stats.texts) << html;
    EXPECT_EQ(r.fast_stats.attributes, r.slow_stats.attributes) << html;
    EXPECT_EQ(r.fast_stats.dropped_attributes, r.slow_stats.dropped_attributes) << html;
    EXPECT_EQ(r.fast_stats.unsafe_urls, r.slow_stats.unsafe_urls) << html;
    EXPECT_EQ(r.fast_stats.depth, r.slow_stats.depth) << html;
  }
}

TEST(SimpleFragment, PostContentIsAcceptedAndTheSame) {
  const char* posts[] = {
      // Mastodon: mentions, hashtags, links with invisible parts, <br />.
      R"(<p><span class="h-card" translate="no"><a href="https://a.example/@bob" class="u-url mention">@<span>bob</span></a></span> Hi &amp; welcome <a href="https://a.example/tags/sx" class="mention hashtag" rel="tag">#<span>sx</span></a></p><p>line<br />next<br>last</p>)",
      R"(<p><a href="https://example.com/a/long/path" target="_blank" rel="nofollow noopener noreferrer" translate="no"><span class="invisible">https://</span><span class="ellipsis">example.com/a/long</span><span class="invisible">/path</span></a></p>)",
      // Pleroma/Misskey-style inline formatting.
      "<p>a <b>b</b> <i>i</i> <em>e</em> <strong>s</strong> <code>c()</code> <del>d</del> <s>s</s> <u>u</u></p>",
      "plain text with &lt;angle&gt; &quot;quotes&quot; &apos;s &#39;n&#x27; &nbsp;é 😀",
      "<p>first</p>\n<p>second</p>",
      "<span>top-level phrasing</span> and text",
      "",
  };
  for (const char* post : posts) {
    Read r = Both(post, true);
    if (std::string_view(post).empty()) {
      EXPECT_FALSE(r.accepted);
      continue;
    }
    EXPECT_TRUE(r.accepted) << post;
    ExpectSame(post);
  }
}

TEST(SimpleFragment, DeclinesWhatItCannotBeSureOf) {
  const char* declined[] = {
      "<div>x</div>", "<p>a<p>b</p>", "<b>x", "<b><i>x</b></i>", "<a href=\"x\"><a>y</a></a>",
      "<span><p>x</p></span>", "a &copy; b", "a &amp b", "&#0;", "&#x80;", "&#xD800;",
      "&#xFFFE;", "a\rb", "a\x01b", "<!-- c -->", "<P>x</P>", "<span/>", "</br>", "<br></br>",
      "a < b", "<span class=x>y</span>", "<span class=\"\">y</span>", "<input disabled>",
      "<span a=\"1\" a=\"2\">x</span>", "<p>x</p></p>", "\xEF\xBB\xBFtext", "bad \xff utf8",
      "<span id\t=\t\"x\"></span><script>x</script>",
  };
  for (const char* html : declined) {
    EXPECT_FALSE(Both(html, false).accepted) << html;
    ExpectSame(html);  // vacuous when declined; documents the cases
  }
}

// Markup from the subset's alphabet with some bytes from outside it.
std::string Random(std::mt19937& rng) {
  static const char* kPieces[] = {
      "<p>", "</p>", "<br>", "<br/>", "<br />", "<a href=\"https://x/y\">", "<a href='javascript:x'>",
      "</a>", "<span class=\"c\">", "</span>", "<b>", "</b>", "<i>", "</i>", "<em>", "</em>",
      "<code>", "</code>", "<strong>", "</strong>", "<del>", "</del>", "text", " ", "\n", "\t",
      "&amp;", "&lt;", "&#233;", "&#x1F600;", "é", "😀", "<span title=\"a&quot;b\" onclick=\"x\">",
      "<a rel=\"tag\" href=\"/t\" class=\"mention hashtag\">", "<div>", "</div>", "&copy;",
      "<!--x-->", "\f", "<s>", "</s>", "<u>", "</u>", "<i >", "</i >", "<b\nclass='q'>",
  };
  std::string out;
  int n = std::uniform_int_distribution<int>(1, 14)(rng);
  for (int i = 0; i < n; ++i) {
    out += kPieces[std::uniform_int_distribution<size_t>(0, std::size(kPieces) - 1)(rng)];
  }
  return out;
}

TEST(SimpleFragment, GeneratedMarkupReadsAsGumboReadsIt) {
  std::mt19937 rng(24);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string html = Random(rng);
    accepted += Both(html, false).accepted;
    ExpectSame(html);
    if (HasFailure()) break;
  }
  EXPECT_GT(accepted, 400);  // the generator does reach the subset
}

}  // namespace
}  // namespace sexp::html_internal
