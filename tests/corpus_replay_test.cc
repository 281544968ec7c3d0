// Replays the fuzz seed corpus (tests/fuzz/corpus) as an ordinary test, so
// every input a fuzzer ever needed to keep is checked in every build, with or
// without clang and sanitizers.
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "sexp/sexp.h"
#include "test_util.h"

namespace sexp {
namespace {

TEST(CorpusReplay, EveryInputReadsOrFailsCleanlyAndRoundTrips) {
  std::filesystem::path dir = std::filesystem::path(SEXP_SOURCE_DIR) / "tests/fuzz/corpus";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    std::string text = testing::ReadFileOrDie(entry.path().string());
    SCOPED_TRACE(entry.path().filename().string());
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
  EXPECT_GE(files, 10) << "the seed corpus should not be empty";
}

}  // namespace
}  // namespace sexp
