// sx -> JSON -> sx is canonical-equal for generated activities (issue 24):
// random activities as the platform writes them — every activity type,
// addressing with :public, embedded objects and IRIs, markup content,
// attachment and tag lists, language maps, dict-form objects, numbers,
// odd property names — written by ToJson and read back by FromJson. Run
// both ways: plain (no rose:sexpr: the content comes back from the HTML)
// and with rose:sexpr read back as a verified peer would.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "sexp/ap/bridge.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"

namespace sexp::ap {
namespace {

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::string Activity() {
    static const char* kTypes[] = {"Create", "Update", "Delete", "Follow", "Accept",
                                   "Reject", "Like", "Announce", "Undo", "EmojiReact"};
    std::string out = "(" + Pick(kTypes);
    out += R"( :@context ("https://www.w3.org/ns/activitystreams" {"rose" "https://rose-ash.com/ns#"}))";
    out += " :id " + Iri() + " :actor " + Iri();
    out += " :to " + Addresses() + " :cc " + Addresses();
    if (Chance(2)) out += " :published \"2026-12-07T10:00:00Z\"";
    out += Extras(2);
    if (Chance(3)) {
      out += " :object " + Iri() + ")";
    } else {
      out += " " + Object(0) + ")";
    }
    return out;
  }

 private:
  bool Chance(int one_in) { return std::uniform_int_distribution<int>(1, one_in)(rng_) == 1; }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <size_t N>
  std::string Pick(const char* const (&items)[N]) {
    return items[Int(0, N - 1)];
  }

  std::string Iri() { return "\"https://ex.example/" + std::to_string(Int(0, 99999)) + "\""; }

  std::string Addresses() {
    switch (Int(0, 3)) {
      case 0: return ":public";
      case 1: return Iri();
      case 2: return "(" + Iri() + ")";
      default: return "(:public " + Iri() + " " + Iri() + ")";
    }
  }

  // Text that HTML gives back as it is (no CR, NUL or controls, not empty).
  std::string Text() {
    static const char* kPieces[] = {"hello", " ", "a < b", "&amp;", "\\\"quoted\\\"", "it's",
                                    "😀", "é", "#tag", "@bob@remote.social", "x\\ny", "100%"};
    std::string t;
    for (int i = Int(1, 4); i > 0; --i) t += Pick(kPieces);
    return "\"" + t + "\"";
  }

  // Phrasing content (what a <p> may hold), no two strings side by side.
  std::string Inline(int depth) {
    std::string out;
    bool last_text = false;
    for (int i = Int(1, 4); i > 0; --i) {
      int what = depth > 2 ? 0 : Int(0, 6);
      if (what == 0 || what == 1) {
        if (last_text) continue;
        out += " " + Text();
        last_text = true;
        continue;
      }
      last_text = false;
      switch (what) {
        case 2: out += " (b" + Inline(depth + 1) + ")"; break;
        case 3: out += " (em" + Inline(depth + 1) + ")"; break;
        case 4: out += " (code " + Text() + ")"; break;
        case 5: out += " (br)"; break;
        default:
          out += " (span :class \"h-card\" (a :class \"u-url mention\" :href " + Iri() + " " +
                 Text() + "))";
      }
    }
    return out.empty() ? " " + Text() : out;
  }

  std::string Content() {
    switch (Int(0, 4)) {
      case 0: return Text();
      case 1: return "(p" + Inline(0) + ")";
      case 2: return "(<> (p" + Inline(0) + ") (p" + Inline(0) + "))";
      case 3: return "(section (p" + Inline(0) + ") (ul (li" + Inline(1) + ") (li" + Inline(1) + ")))";
      default: return "(blockquote (p" + Inline(0) + "))";
    }
  }

  // Pairs with names of every shape and values of every JSON kind.
  std::string Extras(int n) {
    static const char* kNames[] = {":sensitive", ":summary", ":in-reply-to", ":=foo-bar",
                                   ":toot:featured-tags", ":_misskey_content", ":=Emoji",
                                   ":=a%20b", ":votes-count", ":url"};
    std::vector<std::string> used;
    std::string out;
    for (int i = Int(0, n); i > 0; --i) {
      std::string name = Pick(kNames);
      bool seen = false;
      for (const std::string& u : used) seen = seen || u == name;
      if (seen) continue;
      used.push_back(name);
      out += " " + name + " " + Scalar();
    }
    return out;
  }

  std::string Scalar() {
    switch (Int(0, 7)) {
      case 0: return "nil";
      case 1: return Chance(2) ? "true" : "false";
      case 2: return std::to_string(Int(-100000, 100000));
      case 3: {
        char buf[32];
        double d = std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
        return std::string(buf, FormatFloat(d, buf));
      }
      case 4: return "(1 2.5 \"x\" nil)";
      case 5: return "()";
      case 6: return R"({:href "https://ex.example/i" :rel "me"})";  // no type: a dict
      default: return Text();
    }
  }

  std::string Object(int depth) {
    static const char* kTypes[] = {"Note", "Article", "Question", "Page", "Follow", "Person",
                                   "toot:Emoji"};
    std::string type = Pick(kTypes);
    std::string out = "(" + type + " :id " + Iri();
    if (Chance(2)) out += " :attributed-to " + Iri();
    if (Chance(3)) out += R"( :content-map {"en" "<p>x</p>" "pt-BR" "<p>y</p>"})";
    bool tag_pair = Chance(3);  // a single tag is a pair; a list, a child
    if (tag_pair) out += " :tag (Hashtag :name \"#one\" :href " + Iri() + ")";
    out += Extras(3);
    if (Chance(4)) out += R"( :icon {:media-type "image/png" :type ("Image" "x:Icon") :url "https://ex.example/e.png"})";
    if (Chance(4)) out += " :replies (Collection :total-items " + std::to_string(Int(0, 9)) + ")";
    if (type != "Follow" && type != "Person" && !Chance(4)) out += " " + Content();
    if (Chance(2)) {
      out += " (attachment";
      for (int i = Int(0, 2); i > 0; --i) {
        out += " (Image :media-type \"image/jpeg\" :url " + Iri() + " :width " +
               std::to_string(Int(1, 4000)) + " :name " + Text() + ")";
      }
      out += ")";
    }
    if (!tag_pair && Chance(2)) {
      out += " (tag (Mention :href " + Iri() + " :name \"@a@b.example\") (Hashtag :name \"#x\" :href " +
             Iri() + "))";
    }
    if (depth < 2 && Chance(4)) out += " " + Object(depth + 1);
    return out + ")";
  }

  std::mt19937 rng_;
};

std::string CanonicalOf(std::string_view sx) {
  Result<Document> doc = ReadOne(sx);
  if (!doc.ok()) return "unreadable: " + doc.error().ToString();
  Result<std::string> text = Canonical(doc->roots()[0]);
  return text.ok() ? *text : "no canonical form: " + text.error().message;
}

TEST(ApProperty, GeneratedActivitiesRoundTrip) {
  Generator gen(20261207);
  for (int i = 0; i < 2000; ++i) {
    std::string sx = gen.Activity();
    std::string canonical = CanonicalOf(sx);
    ASSERT_EQ(canonical.find("unreadable"), std::string::npos) << sx;
    Result<Document> doc = ReadOne(sx);
    for (bool with_sexpr : {false, true}) {
      ToJsonOptions to;
      to.write_sexpr = with_sexpr;
      Result<std::string> json = ToJson(*doc, to);
      ASSERT_TRUE(json.ok()) << json.error().message << "\n" << sx;
      FromJsonOptions from;
      from.signature_verified = with_sexpr;
      FromJsonStats stats;
      Result<Document> back = FromJson(*json, from, &stats);
      ASSERT_TRUE(back.ok()) << back.error().ToString() << "\n" << *json;
      ASSERT_EQ(*Canonical(back->roots()[0]), canonical) << "json: " << *json;
      // Nothing the platform writes is sanitized away.
      ASSERT_EQ(stats.dropped_elements + stats.unwrapped_elements + stats.dropped_attributes +
                    stats.unsafe_urls + stats.sexpr_rejected,
                0u)
          << *json;
      if (with_sexpr) {
        ASSERT_EQ(stats.sexpr_contents, stats.contents) << *json;
      }
    }
  }
}

}  // namespace
}  // namespace sexp::ap
