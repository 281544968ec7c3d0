// The wire's vocabulary (sexp/wire/message.h, spec/wire.md §2): every head with a
// well-formed message, and the rules each breaks, with the error naming it
// and pointing at the offending node.
#include "sexp/wire/message.h"

#include <string>

#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

constexpr const char* kHash = "\"sha3-2a1b16d8f9e6c75b5b8e1d2b7fc5cc4de2c8a41e1d56ea0c1b0f53bd2c7e8a90\"";

std::string Check(const std::string& text) {
  auto doc = ReadOne(text);
  if (!doc.ok()) return "READ " + doc.error().ToString();
  Error e = ValidateMessage(doc->roots()[0], &*doc);
  return e.ok() ? "ok" : e.ToString();
}

std::string H(const std::string& s) {  // substitutes HASH
  std::string out = s;
  for (size_t at; (at = out.find("HASH")) != std::string::npos;) out.replace(at, 4, kHash);
  return out;
}

TEST(Message, WellFormedMessagesOfEveryFamily) {
  for (const char* m : {
           R"sx((GET "/"))sx",
           R"sx((GET "/posts/1" :auth "tok" :have HASH :have-components (HASH HASH) :stream true))sx",
           R"sx((POST "/like/" :body {:post-id 3}))sx",
           R"sx((ok :hash HASH (p "hi")))sx",
           R"sx((ok))sx",
           R"sx((ok :new-components ((defcomp ~x () (p)))))sx",
           R"sx((not-modified :hash HASH))sx",
           R"sx((redirect :location "/login"))sx",
           R"sx((not-found :message "no such page"))sx",
           R"sx((error :code "bad-request" :message "GET needs a path"))sx",
           R"sx((push! (swap! :target "#feed" :strategy :prepend (article "new"))))sx",
           R"sx((push! (batch! (swap! :target "#a" :strategy inner "x") (class! :target "#b" :add "on"))
                      (component-update :name "~card" :hash HASH)))sx",
           R"sx((class! :target "body" :remove ("a" "b")))sx",
           R"sx((Create :actor "https://x.org/u/alice" :object (Note :content "hi") :id "https://x.org/1"))sx",
           R"sx((Follow :actor "https://x.org/u/a" :object "https://y.org/u/b" :to ("https://y.org/u/b")))sx",
           R"sx((signed :sig #b64"AAEC" :key-id "https://x.org/u/a#key" (Like :actor "https://x.org/a" :object "https://y.org/p/1")))sx",
           R"sx((hello :peer "x.org"))sx",
           R"sx((submit-job :kind "thumbnail" :input HASH))sx",
           R"sx((component-manifest :components ()))sx",
       }) {
    EXPECT_EQ(Check(H(m)), "ok") << m;
  }
  auto doc = ReadOne(H(R"sx((ok :hash HASH))sx"));
  EXPECT_EQ(FamilyOf(doc->roots()[0]), MessageFamily::kResponse);
  EXPECT_EQ(MessageFamilyName(MessageFamily::kPush), "push");
  EXPECT_FALSE(FamilyOf(ReadOne("(p)")->roots()[0]).has_value());
}

TEST(Message, EachRuleBrokenNamesWhatAndWhere) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {R"sx((GET 42))sx", "1:6: bad-message: (GET …): path must be a string starting with '/', got an int"},
      {R"sx((GET "posts"))sx", "1:6: bad-message: (GET …): path must be a string starting with '/', got \"posts\""},
      {R"sx((GET))sx", "1:1: bad-message: (GET …) takes one path, got 0"},
      {R"sx((GET "/" "/again"))sx", "1:10: bad-message: (GET …) takes one path, got 2"},
      {R"sx((GET "/" :bogus 1))sx", "1:10: bad-message: (GET …) has no :bogus (it takes :auth :have :have-components :stream)"},
      {R"sx((GET "/" :have "sha3-xyz"))sx", "1:16: bad-message: (GET …): :have must be a content address (sha3-<hex> or a CID), got \"sha3-xyz\""},
      {R"sx((GET "/" :stream "yes"))sx", "1:18: bad-message: (GET …): :stream must be true or false, got \"yes\""},
      {R"sx((GET "/" :auth))sx", "1:10: bad-message: (GET …): :auth has no value"},
      {R"sx((redirect))sx", "1:1: bad-message: (redirect …) needs :location"},
      {R"sx((error :message "x"))sx", "1:1: bad-message: (error …) needs :code"},
      {R"sx((not-modified "body"))sx", "1:15: bad-message: (not-modified …) takes no items besides its keys, got 1"},
      {R"sx((push!))sx", "1:1: bad-message: (push! …) takes at least 1 operation, got 0"},
      {R"sx((push! (p "x")))sx", "1:8: bad-message: (push! …) holds swap! batch! class! component-update, got a (p …)"},
      {R"sx((push! (swap! :target "#a" "x")))sx", "1:8: bad-message: (swap! …) needs :strategy"},
      {R"sx((push! (swap! :target "#a" :strategy :sideways "x")))sx", "1:38: bad-message: (swap! …): :strategy must be a strategy (inner outer before after prepend append delete), got :sideways"},
      {R"sx((batch! (push! (swap! :target "#a" :strategy inner))))sx", "1:9: bad-message: (batch! …) holds swap! class! component-update, got a (push! …)"},
      {R"sx((class! :target "#a"))sx", "1:1: bad-message: (class! …) needs :add or :remove"},
      {R"sx((component-update :name "card" :hash HASH))sx", "1:25: bad-message: (component-update …): :name must be a component name (\"~name\"), got \"card\""},
      {R"sx((Create :object 1))sx", "1:1: bad-message: (Create …) needs :actor"},
      {R"sx((Like :actor "alice" :object 1))sx", "1:14: bad-message: (Like …): :actor must be a URL (scheme://…), got \"alice\""},
      {R"sx((signed :sig #b64"AA==" :key-id "k" (GET 1)))sx", "1:42: bad-message: (GET …): path must be a string starting with '/', got an int"},
      {R"sx((GET "/" :auth "a" :auth "b"))sx", "1:20: bad-message: (GET …): :auth given twice"},
      {R"sx((frobnicate))sx", "1:2: bad-message: unknown message 'frobnicate'"},
      {R"sx("just a string")sx", "1:1: bad-message: a message is a list headed by a symbol, got a string"},
      {R"sx(((GET "/")))sx", "1:1: bad-message: a message is a list headed by a symbol, got a list"},
  };
  for (const Case& c : cases) EXPECT_EQ(Check(H(c.text)), c.error) << c.text;
}

TEST(Message, WithoutADocumentThereIsNoPosition) {
  Builder b;
  Node get = b.List({b.Symbol("GET"), b.Int(1)});
  auto doc = b.Finish({get});
  ASSERT_TRUE(doc.ok());
  Error e = ValidateMessage(doc->roots()[0]);
  EXPECT_EQ(e.code, ErrorCode::kBadMessage);
  EXPECT_EQ(e.line, 0u);
}

TEST(Message, DeepNestingIsRefusedNotRecursedWithoutEnd) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "(signed :sig \"s\" :key-id \"k\" ";
  text += "(GET \"/\")";
  for (int i = 0; i < 40; ++i) text += ")";
  EXPECT_EQ(Check(text).find("bad-message: messages nested deeper than 16") != std::string::npos,
            true)
      << Check(text);
}

TEST(Message, BuiltMessagesAreValidAndCanonical) {
  Builder b;
  std::string hash = Sha3_256("x").hex_address();
  Node page = b.List({b.Symbol("p"), b.String("hi")});
  Node msgs[] = {MakeGet(b, "/"), MakeGet(b, "/a", hash), MakeOk(b, hash, page),
                 MakeNotModified(b, hash), MakeNotFound(b, "gone"),
                 MakeErrorResponse(b, "bad-request", "GET needs a path")};
  auto doc = b.Finish(msgs);
  ASSERT_TRUE(doc.ok());
  for (const Node& m : doc->roots()) EXPECT_TRUE(ValidateMessage(m).ok()) << *Canonical(m);
  EXPECT_EQ(*Canonical(doc->roots()[1]), "(GET \"/a\" :have \"" + hash + "\")");
  EXPECT_EQ(*Canonical(doc->roots()[2]), "(ok :hash \"" + hash + "\" (p \"hi\"))");
  EXPECT_EQ(*Canonical(doc->roots()[5]),
            "(error :code \"bad-request\" :message \"GET needs a path\")");
  // A builder given a bad path makes a message the validator refuses.
  Builder bad;
  auto wrong = bad.Finish({MakeGet(bad, "no-slash")});
  EXPECT_EQ(ValidateMessage(wrong->roots()[0]).code, ErrorCode::kBadMessage);
}

}  // namespace
}  // namespace sexp
