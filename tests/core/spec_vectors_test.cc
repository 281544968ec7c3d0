// Runs the vectors of spec/vectors/ — the same files the spec documents
// describe — so the code and the spec cannot drift apart. The JSON Lines are
// read with simdjson, independently of the sx reader under test.
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "sexp/sexp.h"
#include "simdjson.h"
#include "test_util.h"

namespace sexp {
namespace {

struct Vector {
  std::string name;
  std::string input;
  // canonical.jsonl
  std::string canonical, sha3, cid;
  // errors.jsonl
  std::string code, mode;
  int64_t line = 0, col = 0, offset = 0;
  int64_t max_depth = -1, max_size = -1;
};

std::vector<Vector> Load(const std::string& file) {
  std::string text = testing::ReadFileOrDie(std::string(SEXP_SOURCE_DIR) + "/spec/vectors/" + file);
  std::vector<Vector> out;
  simdjson::dom::parser parser;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    simdjson::dom::element e = parser.parse(line);
    Vector v;
    v.name = std::string(std::string_view(e["name"]));
    std::string_view s;
    if (e["input"].get(s) == simdjson::SUCCESS) {
      v.input = std::string(s);
    } else {
      std::string_view hex = e["input_hex"];
      v.input = absl::HexStringToBytes(absl::string_view(hex.data(), hex.size()));
    }
    if (e["canonical"].get(s) == simdjson::SUCCESS) v.canonical = std::string(s);
    if (e["sha3"].get(s) == simdjson::SUCCESS) v.sha3 = std::string(s);
    if (e["cid"].get(s) == simdjson::SUCCESS) v.cid = std::string(s);
    if (e["code"].get(s) == simdjson::SUCCESS) v.code = std::string(s);
    if (e["mode"].get(s) == simdjson::SUCCESS) v.mode = std::string(s);
    int64_t n;
    if (e["line"].get(n) == simdjson::SUCCESS) v.line = n;
    if (e["col"].get(n) == simdjson::SUCCESS) v.col = n;
    if (e["offset"].get(n) == simdjson::SUCCESS) v.offset = n;
    if (e["max_depth"].get(n) == simdjson::SUCCESS) v.max_depth = n;
    if (e["max_size"].get(n) == simdjson::SUCCESS) v.max_size = n;
    out.push_back(std::move(v));
  }
  return out;
}

TEST(SpecVectors, Canonical) {
  std::vector<Vector> vectors = Load("canonical.jsonl");
  ASSERT_GE(vectors.size(), 100u) << "spec/vectors/canonical.jsonl is missing vectors";
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.name + ": " + v.input);
    auto doc = ReadOne(v.input);
    ASSERT_TRUE(doc.ok()) << doc.error().ToString();
    auto canon = Canonical(doc->roots()[0]);
    ASSERT_TRUE(canon.ok()) << canon.error().ToString();
    EXPECT_EQ(*canon, v.canonical);
    auto digest = HashNode(doc->roots()[0]);
    ASSERT_TRUE(digest.ok());
    EXPECT_EQ(digest->hex_address(), v.sha3);
    EXPECT_EQ(digest->cid(), v.cid);
    // The canonical text is its own canonical form.
    auto again = ReadOne(v.canonical);
    ASSERT_TRUE(again.ok()) << again.error().ToString();
    EXPECT_EQ(*Canonical(again->roots()[0]), v.canonical);
  }
}

TEST(SpecVectors, Errors) {
  std::vector<Vector> vectors = Load("errors.jsonl");
  ASSERT_GE(vectors.size(), 60u) << "spec/vectors/errors.jsonl is missing vectors";
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.name + ": " + absl::CHexEscape(absl::string_view(v.input.data(), v.input.size())));
    ReadOptions o;
    if (v.max_depth >= 0) o.max_depth = static_cast<size_t>(v.max_depth);
    if (v.max_size >= 0) o.max_size = static_cast<size_t>(v.max_size);
    Error err;
    if (v.mode == "canonical") {
      auto doc = Read(v.input, o);
      ASSERT_TRUE(doc.ok()) << "should read: " << doc.error().ToString();
      std::string scratch;
      StringSink sink(&scratch);
      for (const Node& root : doc->roots()) {
        err = WriteCanonical(root, sink);
        if (!err.ok()) break;
      }
      ASSERT_FALSE(err.ok()) << "canonical writer should fail";
      doc->Locate(&err);
    } else {
      auto doc = v.mode == "read_one" ? ReadOne(v.input, o) : Read(v.input, o);
      ASSERT_FALSE(doc.ok()) << "should fail to read";
      err = doc.error();
    }
    EXPECT_EQ(std::string(ErrorCodeName(err.code)), v.code) << err.ToString();
    EXPECT_EQ(err.line, v.line) << err.ToString();
    EXPECT_EQ(err.column, v.col) << err.ToString();
    EXPECT_EQ(err.offset, static_cast<uint64_t>(v.offset)) << err.ToString();
    EXPECT_FALSE(err.message.empty());
  }
}

}  // namespace
}  // namespace sexp
