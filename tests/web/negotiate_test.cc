// Negotiation (sexp/web/negotiate.h) against spec/vectors/negotiation.jsonl
// (expectations computed with Python's hashlib; the Python host's
// sexp.quart is held to the same file by tests/python/test_quart.py).
#include "sexp/web/negotiate.h"

#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "sexp/core/reader.h"
#include "simdjson.h"
#include "test_util.h"

namespace sexp {
namespace {

std::string Str(simdjson::dom::element e, const char* field) {
  std::string_view s;
  return e[field].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

TEST(Negotiate, SpecVectors) {
  std::string text =
      testing::ReadFileOrDie(std::string(SEXP_SOURCE_DIR) + "/spec/vectors/negotiation.jsonl");
  simdjson::dom::parser parser;
  std::istringstream lines(text);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    simdjson::dom::element e = parser.parse(line);
    SCOPED_TRACE(Str(e, "name"));
    ++count;
    bool want = false;
    if (e["accept"].error() == simdjson::SUCCESS) {
      ASSERT_EQ(e["sx"].get(want), simdjson::SUCCESS);
      EXPECT_EQ(WantsSx(Str(e, "accept")), want);
    } else if (e["html"].error() == simdjson::SUCCESS) {
      EXPECT_EQ(HtmlEtag(Str(e, "html"), Str(e, "version")), Str(e, "etag"));
    } else if (e["if_none_match"].error() == simdjson::SUCCESS) {
      ASSERT_EQ(e["match"].get(want), simdjson::SUCCESS);
      EXPECT_EQ(IfNoneMatchMatches(Str(e, "if_none_match"), Str(e, "etag")), want);
    } else if (e["sexpr_have"].error() == simdjson::SUCCESS) {
      ASSERT_EQ(e["have"].get(want), simdjson::SUCCESS);
      Result<Document> tree = ReadOne(Str(e, "tree"));
      ASSERT_TRUE(tree.ok());
      EXPECT_EQ(HaveNames(Str(e, "sexpr_have"), *HashNode(tree->roots()[0])), want);
    } else {
      int64_t status = 0;
      ASSERT_EQ(e["status"].get(status), simdjson::SUCCESS);
      EXPECT_EQ(SxAnswerHead(static_cast<int>(status)), Str(e, "head"));
    }
  }
  EXPECT_GE(count, 30);
}

TEST(Negotiate, HaveTakesTheCidToo) {
  Result<Document> tree = ReadOne(R"((p "hi"))");
  Digest d = *HashNode(tree->roots()[0]);
  EXPECT_TRUE(HaveNames("sha3-00, " + d.cid(), d));
  EXPECT_TRUE(HaveNames("\"" + d.cid() + "\"", d));
  EXPECT_FALSE(HaveNames("bafkreiaaaa", d));
  EXPECT_EQ(SxEtag(d), "\"" + d.hex_address() + "\"");
  EXPECT_TRUE(IsValidEtagVersion("v1.2-x"));
  EXPECT_FALSE(IsValidEtagVersion("a\"b"));
  EXPECT_FALSE(IsValidEtagVersion("a b"));
  EXPECT_FALSE(IsValidEtagVersion(""));
}

}  // namespace
}  // namespace sexp
