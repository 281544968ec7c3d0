// HtmlToSx on hostile input: deep nesting, huge names and values, many
// attributes, truncations, random bytes. Each case ends in a correct result
// or a clean error, never a crash or a stack overflow. (Refused allocations:
// fault_test.cc.)
#include <pthread.h>

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "sexp/sexp.h"
#include "test_util.h"

namespace sexp {
namespace {

std::string Nested(const std::string& open, int n) {
  std::string s;
  s.reserve(open.size() * n);
  for (int i = 0; i < n; ++i) s += open;
  return s;
}

// Runs `fn` on a thread with a 256 KiB stack: a walk that recursed once per
// level would overflow it long before 100000 levels.
template <class Fn>
void OnSmallStack(Fn fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 << 10);
  pthread_t thread;
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<Fn*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, trampoline, &fn), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

TEST(HtmlHostile, HundredThousandLevelsWithoutALimitOnASmallStack) {
  const int n = 100000;
  std::string html = Nested("<span>", n) + "x";
  OnSmallStack([&] {
    HtmlReadOptions o;
    o.max_depth = 200000;
    HtmlReadStats stats;
    Result<Document> doc = HtmlToSx(html, o, &stats);
    ASSERT_TRUE(doc.ok()) << doc.error().ToString();
    EXPECT_EQ(stats.depth, static_cast<size_t>(n));
    EXPECT_EQ(stats.elements, static_cast<size_t>(n));
    // The writers and Equal are iterative too.
    Result<std::string> c = Canonical(doc->roots()[0]);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->size(), n * std::string("(span ").size() + 3 + n);
    EXPECT_TRUE(Equal(doc->roots()[0], doc->roots()[0]));
  });
}

TEST(HtmlHostile, HundredThousandLevelsMeetTheDefaultLimit) {
  std::string html = "<!DOCTYPE html>\n" + Nested("<b><i>", 50000);
  OnSmallStack([&] {
    Result<Document> doc = HtmlToSx(html);
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().code, ErrorCode::kDepthLimit);
    // html, body and 1022 elements fit: the 512th <b> is level 1025.
    EXPECT_EQ(doc.error().line, 2u);
    EXPECT_EQ(doc.error().column, 1u + 511 * 6);
  });
}

TEST(HtmlHostile, DeepFragmentAndDeepTables) {
  HtmlReadOptions o;
  o.max_depth = 1u << 20;
  EXPECT_TRUE(HtmlToSx(Nested("<table><tr><td>", 3000), o).ok());
  EXPECT_TRUE(HtmlToSx(Nested("<svg><foreignObject>", 20000), o).ok());
  EXPECT_TRUE(HtmlToSx(Nested("<a>", 20000), o).ok());
  EXPECT_TRUE(HtmlToSx(Nested("<p><b>", 20000), o).ok());
  EXPECT_EQ(HtmlToSx(Nested("<ul><li>", 20000)).error().code, ErrorCode::kDepthLimit);
}

TEST(HtmlHostile, HugeAttributeValueNameAndText) {
  std::string value(16 << 20, 'v');
  Result<Document> doc = HtmlToSx("<p title=\"" + value + "\">x");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->roots()[0][2].str().size(), value.size());

  std::string name(1 << 20, 'n');
  doc = HtmlToSx("<p " + name + "=1>");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->roots()[0][1].name().size(), name.size());

  std::string tag(1 << 20, 't');
  doc = HtmlToSx("<" + tag + ">x");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->roots()[0][0].name().size(), tag.size());

  std::string text(32 << 20, 'x');
  doc = HtmlToSx(text);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->roots()[0].str().size(), text.size());
}

TEST(HtmlHostile, ManyAttributesAndManySiblings) {
  std::string many = "<p";
  for (int i = 0; i < 3000; ++i) many += " a" + std::to_string(i) + "=" + std::to_string(i);
  many += ">";
  HtmlReadStats stats;
  ASSERT_TRUE(HtmlToSx(many, {}, &stats).ok());
  EXPECT_EQ(stats.attributes, 3000u);
  std::string wide;
  for (int i = 0; i < 200000; ++i) wide += "<i>x</i>";
  ASSERT_TRUE(HtmlToSx(wide, {}, &stats).ok());
  EXPECT_EQ(stats.elements, 200000u);
}

TEST(HtmlHostile, EveryTruncationOfAPage) {
  std::string page = testing::ReadFileOrDie(std::string(SEXP_SOURCE_DIR) +
                                            "/tests/oracles/html/shop-product.html");
  for (size_t n = 0; n <= page.size(); ++n) {
    Result<Document> doc = HtmlToSx(std::string_view(page).substr(0, n));
    ASSERT_TRUE(doc.ok()) << n << ": " << doc.error().ToString();
    ASSERT_TRUE(Canonical(doc->roots()[0]).ok()) << n;
  }
}

TEST(HtmlHostile, RandomBytesAndRandomMarkup) {
  std::mt19937 rng(7);
  const std::string pieces[] = {"<", ">", "</", "/>", "=", "\"", "'", "&", ";", "#", "x",
                                "<p", "<table", "<td", "<svg", "<math", "<form", "</form",
                                "<template", "<!--", "-->", "<![CDATA[", "]]>", "<script",
                                "</script", "\xFF", "\xC3", "\0", " ", "\n", "a(b", "&amp"};
  for (int round = 0; round < 2000; ++round) {
    std::string html;
    int len = static_cast<int>(rng() % 200);
    for (int i = 0; i < len; ++i) {
      if (rng() % 4 == 0) {
        html += static_cast<char>(rng() & 0xFF);
      } else {
        html += pieces[rng() % std::size(pieces)];
      }
    }
    HtmlReadOptions o;
    o.mode = static_cast<HtmlReadOptions::Mode>(round % 3);
    o.keep_whitespace = round % 2 == 0;
    Result<Document> doc = HtmlToSx(html, o);
    ASSERT_TRUE(doc.ok()) << doc.error().ToString();
    Result<std::string> c = Canonical(doc->roots()[0]);
    ASSERT_TRUE(c.ok());
    Result<Document> back = ReadOne(*c);
    ASSERT_TRUE(back.ok()) << *c;
    ASSERT_EQ(*Canonical(back->roots()[0]), *c);
  }
}

}  // namespace
}  // namespace sexp
