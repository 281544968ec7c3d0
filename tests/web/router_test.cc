// Routes (sexp/web/router.h): matching with typed parameters, precedence, query
// binding, percent-decoding, conflicts refused when the router is built, and
// matching checked against a brute-force reference on random routers.
#include "sexp/web/router.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sexp {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Router Make(std::initializer_list<const char*> patterns) {
  Router r;
  size_t i = 0;
  for (const char* p : patterns) EXPECT_TRUE(r.Add(p, i++).ok()) << p;
  return r;
}

TEST(Router, MatchesWithParametersAndQuery) {
  Router r = Make({"/", "/blog/", "/blog/:slug/", "/posts/:id{int}/", "/posts/new/",
                   "/u/:user/posts/:id{int}"});
  EXPECT_EQ(r.Match("/")->route, 0u);
  EXPECT_EQ(r.Match("/blog/")->route, 1u);
  auto m = r.Match("/blog/hello%20world/?tab=likes&x=%C3%A9&flag");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->route, 2u);
  EXPECT_EQ(m->params, (Pairs{{"slug", "hello world"}}));
  EXPECT_EQ(m->query, (Pairs{{"tab", "likes"}, {"x", "\xC3\xA9"}, {"flag", ""}}));
  EXPECT_EQ(r.Match("/posts/42/")->params, (Pairs{{"id", "42"}}));
  EXPECT_EQ(r.Match("/posts/-7/")->route, 3u);
  EXPECT_EQ(r.Match("/posts/new/")->route, 4u);  // the literal beats {int}
  EXPECT_FALSE(r.Match("/posts/abc/").has_value());  // not an int, and no string route
  EXPECT_FALSE(r.Match("/posts/99999999999999999999/").has_value());  // beyond int64
  EXPECT_EQ(r.Match("/u/ann/posts/3")->params, (Pairs{{"user", "ann"}, {"id", "3"}}));
  for (const char* miss : {"/blog", "/blog//", "/posts/42", "", "blog/", "/nope/", "/blog/%zz/",
                           "/posts/5%20/", "/posts/+5/", "/posts/-/",
                           "/blog/a%00b/", "/blog/x/?q=%2"}) {
    EXPECT_FALSE(r.Match(miss).has_value()) << miss;
  }
}

TEST(Router, TheMostSpecificSegmentFromTheLeftWins) {
  Router r = Make({"/a/:x/c", "/a/b/:y", "/a/:x/:y", "/a/:n{int}/c"});
  EXPECT_EQ(r.Match("/a/b/c")->route, 1u);   // literal b at segment 2
  EXPECT_EQ(r.Match("/a/7/c")->route, 3u);   // {int} beats :x
  EXPECT_EQ(r.Match("/a/z/c")->route, 0u);
  EXPECT_EQ(r.Match("/a/z/q")->route, 2u);
  // Backtracking: the literal branch is tried first but fails deeper.
  Router back = Make({"/a/b/c", "/a/:x/d"});
  EXPECT_EQ(back.Match("/a/b/d")->route, 1u);
}

TEST(Router, ConflictsAndMalformedPatternsAreRefusedWhenBuilt) {
  Router r = Make({"/blog/:slug/", "/posts/:id{int}"});
  absl::Status s = r.Add("/blog/:name/", 9);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "route '/blog/:name/' conflicts with '/blog/:slug/': they match the same paths");
  EXPECT_FALSE(r.Add("/posts/:n{int}", 9).ok());
  EXPECT_TRUE(r.Add("/posts/:slug", 9).ok());  // another kind: ordered, not a conflict
  for (const char* bad : {"", "blog", "/a/:", "/a/:x/:x", "/a/:x{float}", "/a/%zz"}) {
    EXPECT_FALSE(Router().Add(bad, 0).ok()) << bad;
  }
  EXPECT_EQ(r.size(), 3u);
}

// A reference: every pattern that matches, then the most specific by the
// left-to-right rule.
struct Pattern {
  std::vector<std::string> segs;  // "lit", ":s", ":i"
};

int Rank(const std::string& seg) { return seg == ":i" ? 1 : seg == ":s" ? 2 : 0; }

bool Matches(const Pattern& p, const std::vector<std::string>& path) {
  if (p.segs.size() != path.size()) return false;
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& s = p.segs[i];
    if (s == ":s") {
      if (path[i].empty()) return false;
    } else if (s == ":i") {
      if (path[i].empty() || path[i].find_first_not_of("0123456789") != std::string::npos) {
        return false;
      }
    } else if (s != path[i]) {
      return false;
    }
  }
  return true;
}

TEST(Router, AgreesWithABruteForceReferenceOnRandomRouters) {
  std::mt19937 rng(11);
  const std::vector<std::string> atoms = {"a", "b", "1", "22", ":s", ":i"};
  for (int round = 0; round < 300; ++round) {
    Router router;
    std::vector<Pattern> added;
    for (int k = 0; k < 12; ++k) {
      Pattern p;
      int n = std::uniform_int_distribution<int>(1, 3)(rng);
      std::string text;
      int param = 0;
      for (int i = 0; i < n; ++i) {
        std::string seg = atoms[std::uniform_int_distribution<size_t>(0, atoms.size() - 1)(rng)];
        p.segs.push_back(seg);
        text += "/" + (seg == ":s"   ? ":p" + std::to_string(param++)
                       : seg == ":i" ? ":p" + std::to_string(param++) + "{int}"
                                     : seg);
      }
      bool same_shape = false;
      for (const Pattern& q : added) same_shape |= q.segs == p.segs;
      absl::Status s = router.Add(text, added.size());
      ASSERT_EQ(s.ok(), !same_shape) << text;
      if (s.ok()) added.push_back(p);
    }
    for (int t = 0; t < 50; ++t) {
      std::vector<std::string> path;
      int n = std::uniform_int_distribution<int>(1, 3)(rng);
      std::string text;
      for (int i = 0; i < n; ++i) {
        path.push_back(std::vector<std::string>{"a", "b", "1", "22", "zz", "7"}
                           [std::uniform_int_distribution<size_t>(0, 5)(rng)]);
        text += "/" + path.back();
      }
      std::optional<size_t> want;
      for (size_t i = 0; i < added.size(); ++i) {
        if (!Matches(added[i], path)) continue;
        if (!want) {
          want = i;
          continue;
        }
        for (size_t j = 0; j < path.size(); ++j) {
          int a = Rank(added[i].segs[j]), b = Rank(added[*want].segs[j]);
          if (a != b) {
            if (a < b) want = i;
            break;
          }
        }
      }
      auto got = router.Match(text);
      ASSERT_EQ(got.has_value(), want.has_value()) << text;
      if (want) {
        EXPECT_EQ(got->route, *want) << text;
      }
    }
  }
}

TEST(Router, RouteParamsAreThePatternsInOrder) {
  absl::StatusOr<std::vector<RouteParam>> p = RouteParams("/a/:slug/b/:id{int}/");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].name, "slug");
  EXPECT_FALSE((*p)[0].is_int);
  EXPECT_EQ((*p)[1].name, "id");
  EXPECT_TRUE((*p)[1].is_int);
  EXPECT_TRUE(RouteParams("/").ok());
  EXPECT_TRUE(RouteParams("/").value().empty());
  // Malformed as Add finds them, with the same message.
  Router r;
  for (const char* bad : {"x/", "/a/:{int}/", "/a/:b{float}/", "/:x/:x/"}) {
    EXPECT_FALSE(RouteParams(bad).ok()) << bad;
    EXPECT_EQ(RouteParams(bad).status().message(), r.Add(bad, 0).message()) << bad;
  }
}

}  // namespace
}  // namespace sexp
