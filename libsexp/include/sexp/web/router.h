// sexp/web/router.h — routes (defroute patterns) matched against request paths.
//
//   sexp::Router r;
//   r.Add("/blog/", 0);
//   r.Add("/blog/:slug/", 1);
//   r.Add("/posts/:id{int}/", 2);
//   auto m = r.Match("/posts/42/?tab=likes");
//   // m->route == 2, m->params == {{"id", "42"}}, m->query == {{"tab", "likes"}}
//
// A pattern is '/'-separated segments: a literal, `:name` (any one segment),
// or `:name{int}` (an optional '-' and decimal digits that fit int64). A
// trailing '/' is part of the pattern (`/blog` and `/blog/` differ).
// Segments and query parts are percent-decoded after splitting.
//
// When several patterns match a path, the most specific wins: compared
// segment by segment from the left, a literal beats `{int}`, which beats a
// plain parameter. Two patterns with the same shape — the same literals and
// the same kinds of parameter in the same places (`/a/:x` and `/a/:y`) —
// can never be told apart: Add refuses the second as a conflict, so a
// router built from route definitions is unambiguous.
#ifndef SEXP_WEB_ROUTER_H_
#define SEXP_WEB_ROUTER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sexp {

struct RouteMatch {
  size_t route;  // as given to Add
  std::vector<std::pair<std::string, std::string>> params;  // decoded, in pattern order
  std::vector<std::pair<std::string, std::string>> query;   // decoded, in request order
};

class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // Adds `pattern` for `route`. InvalidArgument for a malformed pattern (no
  // leading '/', an empty or repeated parameter name, an unknown type) or
  // one that conflicts with a pattern already added (the message names it).
  absl::Status Add(std::string_view pattern, size_t route);
  // The route for `target` (a path, optionally with a ?query), or nullopt.
  // A path that does not start with '/' or is not valid percent-encoding
  // matches nothing.
  std::optional<RouteMatch> Match(std::string_view target) const;
  size_t size() const { return size_; }

 private:
  struct Node;
  std::unique_ptr<Node> root_;
  size_t size_ = 0;  // patterns added
};

// A pattern's parameter, in the order of the pattern: its name, and
// whether it is a `:name{int}` one.
struct RouteParam {
  std::string name;
  bool is_int = false;
};
// The parameters of `pattern`; InvalidArgument for a malformed pattern (the
// same message Router::Add gives). Hosts calling a handler with a match's
// params use it to know which are ints (defpage binds them in this order).
absl::StatusOr<std::vector<RouteParam>> RouteParams(std::string_view pattern);

// Percent-decodes `in` ('+' stays '+'); false on a bad escape or a decoded
// NUL.
bool PercentDecode(std::string_view in, std::string* out);

// `defroute` — (defroute "/blog/:slug/" (slug) body…) defines a handler and
// records it in the global *routes* — is a language extension
// (libsexp/src/eval/extension.h): this header registers it, so every
// Environment a program that includes it (or sexp/sexp.h) makes once main()
// runs has it.
namespace web_internal {
bool RegisterRouteForms();  // idempotent, thread-safe
[[maybe_unused]] inline const bool kRouteFormsRegistered = RegisterRouteForms();
}  // namespace web_internal

}  // namespace sexp

#endif  // SEXP_WEB_ROUTER_H_
