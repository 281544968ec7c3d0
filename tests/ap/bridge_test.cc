// The ActivityStreams bridge, rule by rule (spec/activitypub.md): names,
// types, positional children, Public, values, contexts, content both ways,
// rose:sexpr and errors with positions.
#include "sexp/ap/bridge.h"

#include <gtest/gtest.h>

#include <string>

#include "sexp/core/reader.h"
#include "sexp/core/writer.h"

namespace sexp::ap {
namespace {

// JSON text -> canonical sx text, or "error: code LINE:COL".
std::string In(std::string_view json, FromJsonOptions options = {},
               FromJsonStats* stats = nullptr) {
  Result<Document> doc = FromJson(json, options, stats);
  if (!doc.ok()) {
    return "error: " + std::string(ErrorCodeName(doc.error().code)) + " " +
           std::to_string(doc.error().line) + ":" + std::to_string(doc.error().column);
  }
  Result<std::string> text = Canonical(doc->roots()[0]);
  return text.ok() ? *text : "unwritable: " + text.error().message;
}

// sx text -> JSON text, or "error: code message".
std::string Out(std::string_view sx, bool write_sexpr = false) {
  Result<Document> doc = ReadOne(sx);
  if (!doc.ok()) return "bad test input: " + doc.error().ToString();
  ToJsonOptions o;
  o.write_sexpr = write_sexpr;
  Result<std::string> json = ToJson(doc->roots()[0], o);
  if (!json.ok()) {
    return "error: " + std::string(ErrorCodeName(json.error().code)) + " " + json.error().message;
  }
  return *json;
}

constexpr std::string_view kCtx = R"("@context":"https://www.w3.org/ns/activitystreams")";

TEST(ApNames, KebabCaseBothWays) {
  struct Case {
    const char* json;
    const char* keyword;
  } cases[] = {
      {"attributedTo", "attributed-to"},
      {"inReplyTo", "in-reply-to"},
      {"preferredUsername", "preferred-username"},
      {"inReplyToAtomUri", "in-reply-to-atom-uri"},
      {"id", "id"},
      {"toot:featuredTags", "toot:featured-tags"},
      {"_misskey_content", "_misskey_content"},
      {"@context", "@context"},
      {"fooBAR", "foo-b-a-r"},
      {"50%", "50%"},
      // Not plain: the = spelling.
      {"foo-bar", "=foo-bar"},
      {"Emoji", "=Emoji"},
      {"", "="},
      {"a b", "=a%20b"},
      {"=x", "==x"},
      {"a(b)\"c", "=a%28b%29%22c"},
      {"100%-x", "=100%25-x"},
      {"é-ü", "=é-ü"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(JsonNameToKeyword(c.json), c.keyword) << c.json;
    EXPECT_EQ(KeywordToJsonName(c.keyword), c.json) << c.keyword;
    EXPECT_TRUE(IsValidKeywordName(c.keyword)) << c.keyword;
  }
  // Any keyword maps to some name; a stray % in the = spelling is itself.
  EXPECT_EQ(KeywordToJsonName("=a%zz%4"), "a%zz%4");
  EXPECT_EQ(KeywordToJsonName("x-"), "x-");
  EXPECT_EQ(KeywordToJsonName("x--y"), "x-Y");
}

TEST(ApNames, EveryAsciiNameRoundTrips) {
  // All names of up to two bytes from printable ASCII and a few controls.
  std::string alphabet = "aZ-=% :(\"@_9\t";
  for (char a : alphabet) {
    for (char b : alphabet) {
      for (std::string name : {std::string(1, a), std::string{a, b}}) {
        std::string k = JsonNameToKeyword(name);
        ASSERT_TRUE(IsValidKeywordName(k)) << "'" << name << "' -> '" << k << "'";
        ASSERT_EQ(KeywordToJsonName(k), name) << k;
      }
    }
  }
}

TEST(ApFromJson, TypesMakeListsOrDicts) {
  EXPECT_EQ(In(R"({"type":"Note","id":"x"})"), R"((Note :id "x"))");
  EXPECT_EQ(In(R"({"type":"toot:Emoji","name":":a:"})"), R"((toot:Emoji :name ":a:"))");
  // No type, a type array, a lowercase type, one that is no symbol: dicts.
  EXPECT_EQ(In(R"({"id":"x"})"), R"({:id "x"})");
  EXPECT_EQ(In(R"({"type":["Person","Service"],"id":"x"})"),
            R"({:id "x" :type ("Person" "Service")})");
  EXPECT_EQ(In(R"({"type":"emoji"})"), R"({:type "emoji"})");
  EXPECT_EQ(In(R"({"type":"Two Words"})"), R"({:type "Two Words"})");
  // The type may come last.
  EXPECT_EQ(In(R"({"id":"x","content":"hi","type":"Note"})"), R"((Note :id "x" "hi"))");
}

TEST(ApFromJson, PositionalChildrenInOrder) {
  std::string sx = In(R"({"type":"Create","id":"c","actor":"a","to":["as:Public"],
    "object":{"type":"Note","id":"n","attributedTo":"a",
      "tag":[{"type":"Hashtag","name":"#markets","href":"h"},{"type":"Mention","name":"@bob@remote.social","href":"b"}],
      "attachment":[{"type":"Image","url":"u","mediaType":"image/jpeg"}],
      "content":"<section><p>hi</p></section>"}})");
  EXPECT_EQ(sx,
            R"((Create :actor "a" :id "c" :to (:public) (Note :attributed-to "a" :id "n" )"
            R"((section (p "hi")) (attachment (Image :media-type "image/jpeg" :url "u")) )"
            R"((tag (Hashtag :href "h" :name "#markets") (Mention :href "b" :name "@bob@remote.social")))))");
  // Single values and IRIs stay pairs.
  EXPECT_EQ(In(R"({"type":"Note","tag":{"type":"Hashtag","name":"#a"},"attachment":"u"})"),
            R"((Note :attachment "u" :tag (Hashtag :name "#a")))");
  EXPECT_EQ(In(R"({"type":"Announce","object":"https://x/1"})"),
            R"((Announce :object "https://x/1"))");
  // An object without a type is a dict: a pair too.
  EXPECT_EQ(In(R"({"type":"Undo","object":{"id":"f"}})"), R"((Undo :object {:id "f"}))");
  // In a dict nothing moves: content stays HTML.
  EXPECT_EQ(In(R"({"content":"<b>x</b>","tag":[]})"), R"({:content "<b>x</b>" :tag ()})");
}

TEST(ApFromJson, PublicAliases) {
  EXPECT_EQ(In(R"({"type":"Note","to":"https://www.w3.org/ns/activitystreams#Public"})"),
            "(Note :to :public)");
  FromJsonStats stats;
  EXPECT_EQ(In(R"({"type":"Note","cc":["Public","x","as:Public","https://www.w3.org/ns/activitystreams#Public"]})",
               {}, &stats),
            R"((Note :cc (:public "x")))");
  EXPECT_EQ(stats.public_aliases_merged, 2u);
  // The http spelling is another IRI; elsewhere "Public" is just a string.
  EXPECT_EQ(In(R"({"type":"Note","to":"http://www.w3.org/ns/activitystreams#Public","name":"Public"})"),
            R"((Note :name "Public" :to "http://www.w3.org/ns/activitystreams#Public"))");
  EXPECT_EQ(Out("(Note :to (:public) :cc :public)"),
            R"({"@context":["https://www.w3.org/ns/activitystreams",{"rose":"https://rose-ash.com/ns#"}],)"
            R"("type":"Note","to":["https://www.w3.org/ns/activitystreams#Public"],)"
            R"("cc":"https://www.w3.org/ns/activitystreams#Public"})");
}

TEST(ApFromJson, Values) {
  EXPECT_EQ(In(R"({"a":1,"b":-2,"c":1.5,"d":1.0,"e":1e3,"f":true,"g":false,"h":null,"i":[[1],[]],"j":9223372036854775808})"),
            R"({:a 1 :b -2 :c 1.5 :d 1.0 :e 1000.0 :f true :g false :h nil :i ((1) ()) :j 9223372036854776000.0})");
  // Long mantissas (simdjson 3.0.1's On-Demand alone reads the first as 0).
  EXPECT_EQ(In(R"({"k":9223372036854776000.0,"l":12345678901234567890.5,"m":-0.000000000000000000001})"),
            R"({:k 9223372036854776000.0 :l 12345678901234567000.0 :m -1e-21})");
  EXPECT_EQ(In(R"({"s":"a\"b\\c\n\u00e9\ud83d\ude00"})"), R"({:s "a\"b\\c\né😀"})");
  EXPECT_EQ(In(R"([{"type":"Note"},"x"])"), R"(((Note) "x"))");
}

TEST(ApFromJson, ContextsAndLanguageMapsKeepTheirKeys) {
  EXPECT_EQ(In(R"({"@context":["https://www.w3.org/ns/activitystreams",{"toot":"http://joinmastodon.org/ns#","Emoji":"toot:Emoji","focalPoint":{"@container":"@list","@id":"toot:focalPoint"}}],"type":"Note"})"),
            R"((Note :@context ("https://www.w3.org/ns/activitystreams" {"Emoji" "toot:Emoji" "focalPoint" {"@container" "@list" "@id" "toot:focalPoint"} "toot" "http://joinmastodon.org/ns#"})))");
  EXPECT_EQ(In(R"({"type":"Note","contentMap":{"en":"<p>Hi</p>","pt-BR":"<p>Oi</p>"},"nameMap":{"en":"x"}})"),
            R"((Note :content-map {"en" "<p>Hi</p>" "pt-BR" "<p>Oi</p>"} :name-map {"en" "x"}))");
}

TEST(ApFromJson, ContentIsSanitizedSx) {
  FromJsonStats stats;
  EXPECT_EQ(In(R"({"type":"Note","content":"<p onclick=\"x()\" class=\"c\">a<script>alert(1)</script>b <a href=\"javascript:alert(1)\" rel=\"nofollow\">l</a> <img src=\"data:image/png;base64,AA\" alt=\"i\"><blink>k</blink><style>p{}</style><iframe src=\"https://x\"></iframe></p>"})",
               {}, &stats),
            R"((Note (p :class "c" "ab " (a :rel "nofollow" "l") " " (img :alt "i") "k")))");
  EXPECT_EQ(stats.dropped_elements, 3u);    // script, style, iframe
  EXPECT_EQ(stats.unwrapped_elements, 1u);  // blink
  EXPECT_EQ(stats.dropped_attributes, 1u);  // onclick
  EXPECT_EQ(stats.unsafe_urls, 2u);         // javascript:, data:
  // Text alone, several nodes, nothing left.
  EXPECT_EQ(In(R"({"type":"Note","content":"plain & simple"})"), R"((Note "plain & simple"))");
  EXPECT_EQ(In(R"({"type":"Note","content":"<p>a</p><p>b</p>"})"), R"((Note (<> (p "a") (p "b"))))");
  EXPECT_EQ(In(R"({"type":"Note","content":"<script>x</script>"})"), R"((Note (<>)))");
  EXPECT_EQ(In(R"({"type":"Note","content":"a\r\nb"})"), "(Note \"a\\nb\")");
  // Text as the HTML parser gives it: controls, DEL, C1 and noncharacters
  // become U+FFFD; TAB, LF and FF stay.
  EXPECT_EQ(In(R"({"type":"Note","content":"a\u0008b\u007fc\u0085d\uffffe\ufdd0f\u000cg\th"})"),
            "(Note \"a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD" "d\xEF\xBF\xBD" "e\xEF\xBF\xBD" "f\\u000cg\\th\")");
  // A content that is not a string stays a pair.
  EXPECT_EQ(In(R"({"type":"Note","content":null})"), "(Note :content nil)");
}

TEST(ApFromJson, RoseSexprOnlyWhenVerified) {
  std::string json =
      R"~({"type":"Note","content":"<p>html</p>","rose:sexpr":"(p :onclick \"x\" (script \"y\") \"sx\" (b \"!\"))"})~";
  EXPECT_EQ(In(json), R"~((Note :rose:sexpr "(p :onclick \"x\" (script \"y\") \"sx\" (b \"!\"))" (p "html")))~");
  FromJsonOptions verified;
  verified.signature_verified = true;
  FromJsonStats stats;
  // Read as data, held to the same profile as HTML.
  EXPECT_EQ(In(json, verified, &stats), R"((Note (p "sx" (b "!"))))");
  EXPECT_EQ(stats.sexpr_contents, 1u);
  EXPECT_EQ(stats.dropped_attributes, 1u);
  EXPECT_EQ(stats.dropped_elements, 1u);
  // One that does not read, or that would be an object, is not used.
  for (const char* bad : {R"~("(p \"unclosed")~", R"~("(Note :id \"forged\")")~", R"~("42")~"}) {
    FromJsonStats s;
    std::string j = std::string(R"({"type":"Note","content":"<p>html</p>","rose:sexpr":)") + bad + "}";
    EXPECT_EQ(In(j, verified, &s), "(Note :rose:sexpr " + std::string(bad) + R"( (p "html")))") << bad;
    EXPECT_EQ(s.sexpr_rejected, 1u) << bad;
  }
}

TEST(ApFromJson, ErrorsHavePositions) {
  EXPECT_EQ(In("{\"type\":\"Note\",\n \"id\":\"a\",\n \"id\":\"b\"}"), "error: duplicate-key 3:2");
  EXPECT_EQ(In(R"({"a":1,"a":2})"), "error: duplicate-key 1:8");
  EXPECT_EQ(In(R"({"@context":{"x":1,"x":2}})"), "error: duplicate-key 1:20");
  EXPECT_EQ(In("{\"a\":\n  [1,}"), "error: invalid-token 2:6");
  EXPECT_EQ(In(R"({"a":"\ud800"})"), "error: invalid-surrogate 1:7");
  EXPECT_EQ(In(R"({"a":"\udc00\ud800x"})"), "error: invalid-surrogate 1:7");
  EXPECT_EQ(In("{\"a\":\"\xff\"}"), "error: invalid-utf8 1:7");
  EXPECT_EQ(In(R"({"a":1} x)"), "error: trailing-input 1:9");
  EXPECT_EQ(In(R"("just a string")"), "error: invalid-token 1:1");
  EXPECT_EQ(In(R"({"a":)"), "error: unexpected-eof 1:6");
}

TEST(ApToJson, CompactJsonWithContextTypeFirst) {
  EXPECT_EQ(Out(R"((Create :id "c" :actor "a" (Note :id "n" :attributed-to "a" (p "hi"))))"),
            R"({"@context":["https://www.w3.org/ns/activitystreams",{"rose":"https://rose-ash.com/ns#"}],)"
            R"("type":"Create","id":"c","actor":"a","object":{"type":"Note","id":"n","attributedTo":"a",)"
            R"("content":"<p>hi</p>"}})");
  // "@context" first in every object that has one, then "type".
  EXPECT_EQ(Out(R"((Create :=a 1 (Note :=b 2 :@context "c")))"),
            R"({"@context":["https://www.w3.org/ns/activitystreams",{"rose":"https://rose-ash.com/ns#"}],)"
            R"("type":"Create","a":1,"object":{"@context":"c","type":"Note","b":2}})");
  // A held context is written as it is.
  EXPECT_EQ(Out(R"((Like :@context "https://www.w3.org/ns/activitystreams" :object "x" :=foo-bar 1 :=Emoji {"en" "y"}))"),
            std::string("{") + std::string(kCtx) +
                R"(,"type":"Like","object":"x","foo-bar":1,"Emoji":{"en":"y"}})");
  EXPECT_EQ(Out(R"({:a [1 2.5 1.0 -0.0 1e21 nil true] :s "q\"\\\n\u0001é"})"),
            R"({"@context":["https://www.w3.org/ns/activitystreams",{"rose":"https://rose-ash.com/ns#"}],)"
            R"("a":[1,2.5,1.0,0.0,1e+21,null,true],"s":"q\"\\\n\u0001é"})");
}

TEST(ApToJson, ContentRenderedWithSexprBeside) {
  std::string json = Out(R"((Note :@context "https://www.w3.org/ns/activitystreams" :id "n")"
                         R"~( (p :class "x" "a < b " (a :href "javascript:alert(1)" "l"))))~",
                         /*write_sexpr=*/true);
  EXPECT_EQ(json,
            R"({"@context":["https://www.w3.org/ns/activitystreams",{"rose":"https://rose-ash.com/ns#"}],)"
            R"("type":"Note","id":"n","content":"<p class=\"x\">a &lt; b <a href=\"about:invalid#unsafe-url\">l</a></p>",)"
            R"~("rose:sexpr":"(p :class \"x\" \"a < b \" (a :href \"javascript:alert(1)\" \"l\"))"})~");
  // A string content is escaped text; a kept rose:sexpr is replaced.
  EXPECT_EQ(Out(R"((Note :rose:sexpr "old" "1 < 2"))", true),
            R"({"@context":["https://www.w3.org/ns/activitystreams",{"rose":"https://rose-ash.com/ns#"}],)"
            R"("type":"Note","content":"1 &lt; 2","rose:sexpr":"\"1 < 2\""})");
  // The rose prefix joins a held context that lacks it, whatever its shape.
  EXPECT_EQ(Out(R"((Note :@context ("a" {"x" "y"}) "t"))", true).substr(0, 64),
            R"({"@context":["a",{"x":"y"},{"rose":"https://rose-ash.com/ns#"}],)");
  EXPECT_EQ(Out(R"((Note :@context {"x" "y"} "t"))", true).substr(0, 62),
            R"({"@context":[{"x":"y"},{"rose":"https://rose-ash.com/ns#"}],"t)");
  EXPECT_EQ(Out(R"((Note :@context () "t"))", true).substr(0, 50),
            R"({"@context":[{"rose":"https://rose-ash.com/ns#"}],)");
  EXPECT_EQ(Out(R"((Note :@context ("a" {"rose" "z"}) "t"))", true).substr(0, 34),
            R"({"@context":["a",{"rose":"z"}],"ty)");
}

TEST(ApToJson, Errors) {
  EXPECT_EQ(Out("(Note :id)"), "error: unrepresentable (Note …) ends with the keyword :id and no value");
  EXPECT_EQ(Out(R"((Note :type "x"))"), "error: unrepresentable (Note …) has a :type pair; its head is its type");
  EXPECT_EQ(Out(R"((Note "a" "b"))"), "error: unrepresentable (Note …) has two contents");
  EXPECT_EQ(Out(R"((Create (Note) (Note)))"), "error: unrepresentable (Create …) has two objects");
  EXPECT_EQ(Out("(Note 42)").substr(0, 41), "error: unrepresentable a positional child");
  EXPECT_EQ(Out("(Note :a :b)"), "error: unrepresentable the keyword :b as a value has no JSON form (only :public has)");
  EXPECT_EQ(Out("(Note :a b)"), "error: unrepresentable the symbol b as a value has no JSON form");
  EXPECT_EQ(Out(R"((Note :a #b64"AA=="))"), "error: unrepresentable a byte string has no JSON form");
  EXPECT_EQ(Out(R"((Note (p (raw! "<b>"))))").substr(0, 48), "error: unrepresentable content does not render: ");
}

TEST(ApRoundTrip, SxToJsonToSx) {
  const char* cases[] = {
      R"((Create :@context "https://www.w3.org/ns/activitystreams" :actor "a" :id "c" :to (:public "f") (Note :attributed-to "a" :id "n" (section (p "x " (b "y"))) (attachment (Image :media-type "image/jpeg" :url "u")) (tag (Hashtag :href "h" :name "#markets") (Mention :href "b" :name "@bob@remote.social")))))",
      R"((Announce :@context "https://www.w3.org/ns/activitystreams" :object "https://x/1" :published "2024-01-01T00:00:00Z"))",
      R"({:=Emoji 1 :=a%20b (1 2.5 nil true) :@context ("https://www.w3.org/ns/activitystreams" {"toot" "http://joinmastodon.org/ns#"}) :id "x"})",
  };
  for (const char* sx : cases) {
    std::string json = Out(sx);
    EXPECT_EQ(In(json), sx) << json;
  }
}

}  // namespace
}  // namespace sexp::ap
