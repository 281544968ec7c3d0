// spec/vectors/activitypub.jsonl (spec/activitypub.md §15): the mapping's
// vectors, written by hand from the chapter's rules, run through the
// library so the code and the spec cannot drift.
#include <cstdio>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "sexp/ap/bridge.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"
#include "simdjson.h"
#include "test_util.h"

namespace sexp::ap {
namespace {

namespace dom = simdjson::dom;

bool Has(dom::element e, const char* field) { return e[field].error() == simdjson::SUCCESS; }
std::string Str(dom::element e, const char* field) {
  std::string_view s;
  return e[field].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}
bool Flag(dom::element e, const char* field, bool otherwise) {
  bool b;
  return e[field].get(b) == simdjson::SUCCESS ? b : otherwise;
}

// JSON text for a value, keeping each number's kind (a float always with
// '.' or 'e', as the vectors' harness rule asks).
void Serialize(dom::element e, std::string* out) {
  switch (e.type()) {
    case dom::element_type::ARRAY: {
      *out += '[';
      bool first = true;
      for (dom::element x : e.get_array()) {
        if (!first) *out += ',';
        first = false;
        Serialize(x, out);
      }
      *out += ']';
      return;
    }
    case dom::element_type::OBJECT: {
      *out += '{';
      bool first = true;
      for (dom::key_value_pair kv : e.get_object()) {
        if (!first) *out += ',';
        first = false;
        *out += '"';
        for (char c : kv.key) {
          if (c == '"' || c == '\\') *out += '\\';
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            *out += buf;
            continue;
          }
          *out += c;
        }
        *out += "\":";
        Serialize(kv.value, out);
      }
      *out += '}';
      return;
    }
    case dom::element_type::DOUBLE: {
      char buf[32];
      out->append(buf, FormatFloat(e.get_double(), buf));
      return;
    }
    default:
      *out += simdjson::minify(e);
  }
}

// JSON values equal: same kinds (int vs float), same values, objects in any order.
bool JsonEqual(dom::element a, dom::element b) {
  auto kind = [](dom::element e) {
    switch (e.type()) {
      case dom::element_type::INT64:
      case dom::element_type::UINT64: return 1;
      case dom::element_type::DOUBLE: return 2;
      default: return 0;
    }
  };
  if (kind(a) != kind(b) || (kind(a) == 0 && a.type() != b.type())) return false;
  switch (a.type()) {
    case dom::element_type::ARRAY: {
      dom::array x = a.get_array(), y = b.get_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!JsonEqual(x.at(i).value(), y.at(i).value())) return false;
      }
      return true;
    }
    case dom::element_type::OBJECT: {
      dom::object x = a.get_object(), y = b.get_object();
      if (x.size() != y.size()) return false;
      for (dom::key_value_pair kv : x) {
        dom::element other;
        if (y.at_key(kv.key).get(other) != simdjson::SUCCESS) return false;
        if (!JsonEqual(kv.value, other)) return false;
      }
      return true;
    }
    case dom::element_type::DOUBLE: return a.get_double().value() == b.get_double().value();
    default: return simdjson::minify(a) == simdjson::minify(b);
  }
}

TEST(SpecVectors, ActivityPub) {
  std::string text =
      testing::ReadFileOrDie(std::string(SEXP_SOURCE_DIR) + "/spec/vectors/activitypub.jsonl");
  dom::parser parser, out_parser;
  std::istringstream lines(text);
  std::string line;
  int names = 0, in = 0, out = 0, in_errors = 0, out_errors = 0;
  while (std::getline(lines, line)) {
    dom::element e = parser.parse(line);
    std::string name = Str(e, "name");
    SCOPED_TRACE(name);
    std::string dir = Str(e, "dir");
    if (Has(e, "json_name")) {
      ++names;
      EXPECT_EQ(KeywordToJsonName(Str(e, "keyword")), Str(e, "json_name"));
      if (dir != "out") {
        EXPECT_EQ(JsonNameToKeyword(Str(e, "json_name")), Str(e, "keyword"));
      }
      continue;
    }
    std::string json_text = Str(e, "json_text");
    if (Has(e, "json")) {
      json_text.clear();
      Serialize(e["json"].value(), &json_text);
    }
    if (Has(e, "error") && !Has(e, "sx")) {
      ++in_errors;
      Result<Document> r = FromJson(json_text);
      ASSERT_FALSE(r.ok()) << json_text;
      EXPECT_EQ(ErrorCodeName(r.error().code), Str(e, "error")) << r.error().ToString();
      int64_t offset;
      if (e["offset"].get(offset) == simdjson::SUCCESS) {
        EXPECT_EQ(r.error().offset, static_cast<uint64_t>(offset)) << r.error().ToString();
      }
      continue;
    }
    std::string sx = Str(e, "sx");
    if (Has(e, "error")) {
      ++out_errors;
      Result<Document> doc = ReadOne(sx);
      ASSERT_TRUE(doc.ok()) << doc.error().ToString();
      ToJsonOptions o;
      o.write_sexpr = Flag(e, "write_sexpr", true);
      Result<std::string> r = ToJson(*doc, o);
      ASSERT_FALSE(r.ok()) << *r;
      EXPECT_EQ(ErrorCodeName(r.error().code), Str(e, "error")) << r.error().message;
      int64_t offset;
      if (e["offset"].get(offset) == simdjson::SUCCESS) {
        EXPECT_EQ(r.error().offset, static_cast<uint64_t>(offset)) << r.error().message;
      }
      continue;
    }
    if (dir == "in" || dir == "both") {
      ++in;
      FromJsonOptions o;
      o.signature_verified = Flag(e, "verified", false);
      Result<Document> r = FromJson(json_text, o);
      ASSERT_TRUE(r.ok()) << r.error().ToString() << "\n" << json_text;
      EXPECT_EQ(*Canonical(r->roots()[0]), sx);
    }
    if (dir == "out" || dir == "both") {
      ++out;
      Result<Document> doc = ReadOne(sx);
      ASSERT_TRUE(doc.ok()) << doc.error().ToString();
      ToJsonOptions o;
      o.write_sexpr = dir == "both" ? false : Flag(e, "write_sexpr", true);
      o.default_context = Flag(e, "default_context", true);
      Result<std::string> r = ToJson(doc->roots()[0], o);
      ASSERT_TRUE(r.ok()) << r.error().message;
      if (Has(e, "json")) {
        dom::element got = out_parser.parse(*r);
        EXPECT_TRUE(JsonEqual(got, e["json"].value())) << "got  " << *r << "\nwant " << json_text;
      } else {
        EXPECT_EQ(*r, json_text);
      }
    }
  }
  EXPECT_GT(names, 15);
  EXPECT_GT(in, 30);
  EXPECT_GT(out, 30);
  EXPECT_GT(in_errors, 10);
  EXPECT_GT(out_errors, 5);
}

}  // namespace
}  // namespace sexp::ap
