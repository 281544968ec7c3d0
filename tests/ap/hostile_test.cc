// The ActivityStreams bridge against hostile input: what a stranger's
// server can send (deep nesting, huge arrays and strings, wrong types,
// script in content, bad UTF-8 and escapes, repeated keys) and what a
// document built in code can hold (shared structure, depth). Each case ends
// in a clear error or sanitized output, within its limits, never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "absl/strings/ascii.h"
#include "sexp/ap/bridge.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"

namespace sexp::ap {
namespace {

ErrorCode CodeOf(const Result<Document>& r) { return r.ok() ? ErrorCode::kOk : r.error().code; }

TEST(ApHostile, TenThousandDeepNesting) {
  for (std::string open : {"[", "{\"a\":"}) {
    std::string json;
    for (int i = 0; i < 10000; ++i) json += open;
    json += "1";
    for (int i = 0; i < 10000; ++i) json += open == "[" ? "]" : "}";
    Result<Document> r = FromJson(json);
    ASSERT_EQ(CodeOf(r), ErrorCode::kDepthLimit) << open;
    // Stopped where the 257th level starts, not at the end.
    EXPECT_LE(r.error().offset, 257 * open.size()) << open;
    // Asking for more than the ceiling is clamped, not a deeper recursion.
    FromJsonOptions o;
    o.max_depth = 1'000'000;
    EXPECT_EQ(CodeOf(FromJson(json, o)), ErrorCode::kDepthLimit);
  }
  // Deep content HTML counts towards the same depth.
  std::string html;
  for (int i = 0; i < 300; ++i) html += "<b>";
  Result<Document> r = FromJson(R"({"type":"Note","content":")" + html + R"("})");
  EXPECT_EQ(CodeOf(r), ErrorCode::kDepthLimit);
}

TEST(ApHostile, MillionElementArrays) {
  std::string json = R"({"type":"Collection","items":[)";
  for (int i = 0; i < 1'000'000; ++i) json += i ? ",0" : "0";
  json += R"(],"to":[)";
  for (int i = 0; i < 1'000'000; ++i) json += i ? ",\"Public\"" : "\"Public\"";
  json += "]}";
  FromJsonStats stats;
  Result<Document> r = FromJson(json, {}, &stats);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Node& root = r->roots()[0];
  // (Collection :items (0 …) :to (:public)): the aliases merged into one.
  ASSERT_EQ(root.size(), 5u);
  EXPECT_EQ(root[2].size(), 1'000'000u);
  EXPECT_EQ(root[4].size(), 1u);
  EXPECT_EQ(stats.public_aliases_merged, 999'999u);
  // A million distinct keys in one object: the duplicate check stays linear.
  std::string keys = "{";
  for (int i = 0; i < 1'000'000; ++i) keys += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  keys += ",\"k5\":1}";
  auto start = std::chrono::steady_clock::now();
  Result<Document> dup = FromJson(keys);
  EXPECT_EQ(CodeOf(dup), ErrorCode::kDuplicateKey);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(ApHostile, WrongTypesAreKeptAsData) {
  // Where a string or an object is expected, anything: kept as the pair it
  // is, and written back the same.
  const char* json =
      R"({"@context":5,"type":"Note","content":5,"to":{"x":"Public"},"attachment":"a",)"
      R"("tag":null,"object":[1,{"type":"Note"}],"contentMap":[1],"rose:sexpr":7,"id":{"@id":[]}})";
  Result<Document> r = FromJson(json);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*Canonical(r->roots()[0]),
            R"((Note :@context 5 :attachment "a" :content 5 :content-map (1) :id {:@id ()} )"
            R"(:object (1 (Note)) :rose:sexpr 7 :tag nil :to {:x "Public"}))");
  ToJsonOptions o;
  o.write_sexpr = false;
  Result<std::string> back = ToJson(r->roots()[0], o);
  ASSERT_TRUE(back.ok());
  Result<Document> again = FromJson(*back);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*Canonical(again->roots()[0]), *Canonical(r->roots()[0]));
  // A type that is no string or no symbol makes a dict, never a list head.
  for (const char* t : {"5", "null", "[\"Note\"]", "\"\"", "\"(x)\"", "\"true\"", "\"1e5\"", "\"#Note\""}) {
    Result<Document> d = FromJson(std::string(R"({"type":)") + t + "}");
    ASSERT_TRUE(d.ok()) << t;
    EXPECT_TRUE(d->roots()[0].is_dict()) << t;
  }
}

// The HTML a content converts to, rendered again by ToJson.
std::string SanitizedHtml(std::string_view content_html) {
  std::string json = R"({"type":"Note","content":)";
  json += '"';
  for (char c : content_html) {
    if (c == '"' || c == '\\') json += '\\';
    json += c;
  }
  json += "\"}";
  Result<Document> r = FromJson(json);
  if (!r.ok()) return "error: " + r.error().ToString();
  ToJsonOptions o;
  o.write_sexpr = false;
  Result<std::string> out = ToJson(r->roots()[0], o);
  return out.ok() ? *out : "error: " + out.error().message;
}

TEST(ApHostile, ScriptInContentNeverSurvives) {
  const char* attacks[] = {
      "<script>alert(1)</script>",
      "<img src=x onerror=alert(1)>",
      "<body onload=alert(1)>",
      "<a href=\"  JaVaScRiPt:alert(1)\">x</a>",
      "<a href=\"java&#x09;script:alert(1)\">x</a>",
      "<a href=\"&#106;avascript:alert(1)\">x</a>",
      "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
      "<img src=\"data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=\">",
      "<svg onload=alert(1)><script>alert(1)</script></svg>",
      "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
      "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
      "<form action=\"javascript:alert(1)\"><button>x</button></form>",
      "<object data=\"javascript:alert(1)\"></object><embed src=\"javascript:alert(1)\">",
      "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
      "<base href=\"javascript:alert(1)//\">",
      "<style>@import 'javascript:alert(1)';</style>",
      "<div style=\"background:url(javascript:alert(1))\">x</div>",
      "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
      "<template><script>alert(1)</script></template>",
      "<p><video poster=\"javascript:alert(1)\" src=\"vbscript:x\"></video></p>",
      "<a href=\"javascript&colon;alert(1)\">x</a>",
      "<xmp><script>alert(1)</script></xmp><plaintext><script>",
      "<select><template><style><img src=x onerror=alert(1)></style></template></select>",
  };
  for (const char* attack : attacks) {
    std::string out = absl::AsciiStrToLower(SanitizedHtml(attack));
    EXPECT_EQ(out.find("error:"), std::string::npos) << attack << " -> " << out;
    for (const char* bad : {"<script", "onerror", "onload", "javascript:", "vbscript:", "data:",
                            "style=", "<iframe", "<svg", "<math", "<form", "<object", "<embed",
                            "<meta", "<base", "srcdoc", "<style", "<img src=x"}) {
      EXPECT_EQ(out.find(bad), std::string::npos) << attack << " -> " << out << " has " << bad;
    }
  }
  // What is ordinary text stays: a mention's link and its text.
  EXPECT_NE(SanitizedHtml("<p><a href=\"https://x/@a\" class=\"mention\">@a</a></p>")
                .find(R"(<p><a href=\"https://x/@a\" class=\"mention\">@a</a></p>)"),
            std::string::npos);
}

TEST(ApHostile, HugeContent) {
  std::string text;
  while (text.size() < (size_t{10} << 20)) text += "<p>lorem ipsum dolor sit amet</p>";
  std::string json = R"({"type":"Note","content":")" + text + R"("})";
  // Past max_content_bytes (1 MiB by default): a clear error.
  Result<Document> r = FromJson(json);
  ASSERT_EQ(CodeOf(r), ErrorCode::kSizeLimit);
  EXPECT_NE(r.error().message.find("max_content_bytes"), std::string::npos);
  // Allowed, it converts (one list of 300k paragraphs).
  FromJsonOptions o;
  o.max_bytes = size_t{32} << 20;
  o.max_content_bytes = size_t{16} << 20;
  Result<Document> big = FromJson(json, o);
  ASSERT_TRUE(big.ok()) << big.error().ToString();
  EXPECT_GT(big->roots()[0][1].size(), 300'000u);
  // And a JSON text past max_bytes is refused before it is parsed.
  o.max_bytes = 1 << 20;
  EXPECT_EQ(CodeOf(FromJson(json, o)), ErrorCode::kSizeLimit);
}

TEST(ApHostile, BadBytesAndEscapes) {
  struct Case {
    std::string json;
    ErrorCode code;
    uint64_t offset;
  } cases[] = {
      {"{\"a\":\"x\xff\"}", ErrorCode::kInvalidUtf8, 7},
      {"{\"\xc3\x28\":1}", ErrorCode::kInvalidUtf8, 2},
      {"{\"a\":\"\xed\xa0\x80\"}", ErrorCode::kInvalidUtf8, 6},  // a surrogate in UTF-8
      {R"({"a":"\ud800"})", ErrorCode::kInvalidSurrogate, 6},
      {R"({"a":"\udfff\u0041"})", ErrorCode::kInvalidSurrogate, 6},
      {R"({"\ud800":1})", ErrorCode::kInvalidSurrogate, 2},
      {R"({"a":"\x41"})", ErrorCode::kInvalidEscape, 6},
      {R"({"type":"Note","content":"\ud83d"})", ErrorCode::kInvalidSurrogate, 26},
      {"{\"a\":\"\x01\"}", ErrorCode::kInvalidCharacter, 6},  // a raw control character
      {R"({"a":1e400})", ErrorCode::kNumberOutOfRange, 5},
  };
  for (const Case& c : cases) {
    Result<Document> r = FromJson(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().code, c.code) << c.json << ": " << r.error().ToString();
    if (c.offset != kNoOffset) {
      EXPECT_EQ(r.error().offset, c.offset) << c.json;
    }
  }
  // A pair of escapes is one character.
  Result<Document> ok = FromJson(R"({"a":"\ud83d\ude00"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->roots()[0][1].str(), "😀");
}

TEST(ApHostile, RepeatedKeysAnywhere) {
  for (const char* json : {R"({"id":"a","id":"b"})",
                           R"({"type":"Note","object":{"type":"Note","content":"x","content":"y"}})",
                           R"({"@context":[{"a":"x","a":"y"}]})",
                           R"({"contentMap":{"en":"a","en":"b"}})",
                           R"({"type":"Note","type":"Create"})",
                           R"({"attributedTo":"a","attributed\u0054o":"b"})"}) {
    Result<Document> r = FromJson(json);
    EXPECT_EQ(CodeOf(r), ErrorCode::kDuplicateKey) << json;
  }
}

TEST(ApHostile, SharedStructureAndDepthOutbound) {
  // (list d d) doubled 40 times: 2^40 leaves from 41 nodes.
  Builder b;
  Node d = b.String("xxxxxxxxxxxxxxxx");
  for (int i = 0; i < 40; ++i) d = b.List({d, d});
  Result<Document> doc = b.Finish({b.List({b.Symbol("Note"), b.Keyword("items"), d})});
  ASSERT_TRUE(doc.ok());
  ToJsonOptions o;
  o.max_output_bytes = 1 << 20;
  auto start = std::chrono::steady_clock::now();
  Result<std::string> json = ToJson(doc->roots()[0], o);
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.error().code, ErrorCode::kSizeLimit);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // A list 100000 deep: an error, not a stack overflow.
  Builder deep;
  Node n = deep.Int(1);
  for (int i = 0; i < 100000; ++i) n = deep.List({n});
  Result<Document> deep_doc = deep.Finish({n});
  ASSERT_TRUE(deep_doc.ok());
  Result<std::string> deep_json = ToJson(deep_doc->roots()[0]);
  ASSERT_FALSE(deep_json.ok());
  EXPECT_EQ(deep_json.error().code, ErrorCode::kDepthLimit);
  // Content whose rendering is past the renderer's byte limit.
  Builder big;
  Node text = big.String(std::string(1 << 20, 'a'));
  Node p = big.List({big.Symbol("p"), text, text, text, text});
  Result<Document> big_doc = big.Finish({big.List({big.Symbol("Note"), p})});
  ToJsonOptions small;
  small.max_render_bytes = 1 << 20;
  Result<std::string> big_json = ToJson(big_doc->roots()[0], small);
  ASSERT_FALSE(big_json.ok());
  EXPECT_NE(big_json.error().message.find("does not render"), std::string::npos);
}

}  // namespace
}  // namespace sexp::ap
