// Replays the fuzz seed corpora (tests/fuzz/corpus, tests/fuzz/html_corpus)
// as ordinary tests, so every input a fuzzer ever needed to keep is checked
// in every build, with or without clang and sanitizers.
#include <string>

#include "gtest/gtest.h"
#include "sexp/sexp.h"
#include "test_util.h"

namespace sexp {
namespace {

TEST(CorpusReplay, EveryInputReadsOrFailsCleanlyAndRoundTrips) {
  auto files = testing::SourceFiles("tests/fuzz/corpus");
  EXPECT_GE(files.size(), 10u) << "the seed corpus should not be empty";
  for (const auto& [name, text] : files) {
    SCOPED_TRACE(name);
    for (bool copy : {true, false}) {
      ReadOptions o;
      o.copy_source = copy;
      o.max_depth = 256;
      auto doc = Read(text, o);
      if (!doc.ok()) {
        EXPECT_NE(doc.error().code, ErrorCode::kOk);
        EXPECT_LE(doc.error().offset, text.size());
        EXPECT_GE(doc.error().line, 1u);
        continue;
      }
      EXPECT_EQ(testing::CheckRoundTrip(*doc), "");
    }
  }
}

// The HTML reader's seeds, decoded as fuzz_html_reader decodes them (a first
// byte >= 0x80 holds the options).
TEST(CorpusReplay, HtmlSeedsConvertAndReadBack) {
  auto files = testing::SourceFiles("tests/fuzz/html_corpus");
  EXPECT_GE(files.size(), 10u);
  for (const auto& [name, data] : files) {
    SCOPED_TRACE(name);
    HtmlReadOptions o;
    std::string_view html = data;
    if (!data.empty() && static_cast<unsigned char>(data[0]) >= 0x80) {
      auto flags = static_cast<unsigned char>(data[0]);
      html.remove_prefix(1);
      if ((flags & 3) != 3) o.mode = static_cast<HtmlReadOptions::Mode>(flags & 3);
      o.keep_whitespace = (flags & 4) == 0;
      if (flags & 8) o.max_depth = 1 + ((flags >> 4) & 7);
    }
    Result<Document> doc = HtmlToSx(html, o);
    if (!doc.ok()) {
      EXPECT_EQ(doc.error().code, ErrorCode::kDepthLimit) << doc.error().ToString();
      continue;
    }
    Result<std::string> c = Canonical(doc->roots()[0]);
    ASSERT_TRUE(c.ok());
    ReadOptions ro;
    ro.max_depth = o.max_depth;
    Result<Document> back = ReadOne(*c, ro);
    ASSERT_TRUE(back.ok()) << back.error().ToString();
    EXPECT_EQ(*Canonical(back->roots()[0]), *c);
  }
}

}  // namespace
}  // namespace sexp
