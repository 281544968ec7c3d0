#include "sexp/web/router.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/chars.h"
#include "core/strutil.h"

namespace sexp {

using internal::AV;

namespace {

enum class SegmentKind { kLiteral, kInt, kString };  // most specific first

struct Segment {
  SegmentKind kind;
  std::string text;  // the literal, or the parameter's name
};

// Splits "/a/:b{int}/" into segments (the empty last one for the trailing
// '/'); an error message for a malformed pattern.
bool ParsePattern(std::string_view pattern, std::vector<Segment>* out, std::string* error) {
  if (pattern.empty() || pattern[0] != '/') {
    *error = "a route pattern starts with '/'";
    return false;
  }
  std::vector<std::string> names;
  for (absl::string_view raw : absl::StrSplit(AV(pattern.substr(1)), '/')) {
    std::string_view s(raw.data(), raw.size());
    if (!s.empty() && s[0] == ':') {
      SegmentKind kind = SegmentKind::kString;
      std::string_view name = s.substr(1);
      if (size_t brace = name.find('{'); brace != std::string_view::npos) {
        if (name.substr(brace) != "{int}") {
          *error = absl::StrCat("unknown parameter type in '", AV(s), "' (only {int})");
          return false;
        }
        kind = SegmentKind::kInt;
        name = name.substr(0, brace);
      }
      if (name.empty()) {
        *error = absl::StrCat("a parameter without a name in '", AV(pattern), "'");
        return false;
      }
      for (const std::string& n : names) {
        if (n == name) {
          *error = absl::StrCat("parameter :", AV(name), " appears twice in '", AV(pattern), "'");
          return false;
        }
      }
      names.emplace_back(name);
      out->push_back({kind, std::string(name)});
    } else {
      std::string decoded;
      if (!PercentDecode(s, &decoded)) {
        *error = absl::StrCat("bad percent-encoding in '", AV(pattern), "'");
        return false;
      }
      out->push_back({SegmentKind::kLiteral, decoded});
    }
  }
  return true;
}

// An optional '-' then decimal digits only, within int64.
bool IsInt(std::string_view s) {
  std::string_view digits = !s.empty() && s[0] == '-' ? s.substr(1) : s;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  int64_t v;
  return absl::SimpleAtoi(AV(s), &v);
}

}  // namespace

absl::StatusOr<std::vector<RouteParam>> RouteParams(std::string_view pattern) {
  std::vector<Segment> segments;
  std::string error;
  if (!ParsePattern(pattern, &segments, &error)) return absl::InvalidArgumentError(error);
  std::vector<RouteParam> params;
  for (const Segment& s : segments) {
    if (s.kind != SegmentKind::kLiteral) params.push_back({s.text, s.kind == SegmentKind::kInt});
  }
  return params;
}

// A trie over segments: literal children by text, then one child per
// parameter kind (the parameter's name is kept per pattern at its leaf).
struct Router::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
  std::unique_ptr<Node> int_param, string_param;
  std::optional<size_t> route;           // a pattern ends here
  std::vector<std::string> param_names;  // of that pattern, in order
  std::string pattern;
};

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

absl::Status Router::Add(std::string_view pattern, size_t route) {
  std::vector<Segment> segments;
  std::string error;
  if (!ParsePattern(pattern, &segments, &error)) return absl::InvalidArgumentError(error);
  Node* node = root_.get();
  std::vector<std::string> names;
  for (const Segment& s : segments) {
    std::unique_ptr<Node>* next;
    switch (s.kind) {
      case SegmentKind::kLiteral: {
        auto it = node->literals.find(s.text);
        if (it == node->literals.end()) it = node->literals.emplace(s.text, nullptr).first;
        next = &it->second;
        break;
      }
      case SegmentKind::kInt:
        next = &node->int_param;
        names.push_back(s.text);
        break;
      default:
        next = &node->string_param;
        names.push_back(s.text);
    }
    if (*next == nullptr) *next = std::make_unique<Node>();
    node = next->get();
  }
  if (node->route.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("route '", AV(pattern), "' conflicts with '",
                                                   node->pattern,
                                                   "': they match the same paths"));
  }
  node->route = route;
  node->param_names = std::move(names);
  node->pattern = std::string(pattern);
  ++size_;
  return absl::OkStatus();
}

std::optional<RouteMatch> Router::Match(std::string_view target) const {
  std::string_view path = target, query;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::vector<std::string> segments;
  for (absl::string_view raw : absl::StrSplit(AV(path.substr(1)), '/')) {
    std::string decoded;
    if (!PercentDecode(std::string_view(raw.data(), raw.size()), &decoded)) return std::nullopt;
    segments.push_back(std::move(decoded));
  }
  // Depth-first in precedence order (literal, int, string): the first
  // complete match is the most specific.
  std::vector<const std::string*> values;
  const Node* found = nullptr;
  auto walk = [&](auto& self, const Node* node, size_t i) -> bool {
    if (i == segments.size()) {
      if (!node->route.has_value()) return false;
      found = node;
      return true;
    }
    const std::string& seg = segments[i];
    if (auto it = node->literals.find(seg); it != node->literals.end() && self(self, it->second.get(), i + 1)) {
      return true;
    }
    if (node->int_param != nullptr && IsInt(seg)) {
      values.push_back(&seg);
      if (self(self, node->int_param.get(), i + 1)) return true;
      values.pop_back();
    }
    if (node->string_param != nullptr && !seg.empty()) {
      values.push_back(&seg);
      if (self(self, node->string_param.get(), i + 1)) return true;
      values.pop_back();
    }
    return false;
  };
  if (!walk(walk, root_.get(), 0)) return std::nullopt;
  RouteMatch m;
  m.route = *found->route;
  for (size_t i = 0; i < values.size(); ++i) m.params.emplace_back(found->param_names[i], *values[i]);
  if (!query.empty()) {
    for (absl::string_view part : absl::StrSplit(AV(query), '&', absl::SkipEmpty())) {
      size_t eq = part.find('=');
      std::string k, v;
      std::string_view key(part.data(), eq == part.npos ? part.size() : eq);
      std::string_view value = eq == part.npos ? std::string_view()
                                               : std::string_view(part.data() + eq + 1,
                                                                  part.size() - eq - 1);
      if (!PercentDecode(key, &k) || !PercentDecode(value, &v)) return std::nullopt;
      m.query.emplace_back(std::move(k), std::move(v));
    }
  }
  return m;
}

bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  auto hex = internal::HexDigitValue;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    int hi = i + 1 < in.size() ? hex(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? hex(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) return false;
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return false;
    out->push_back(c);
    i += 2;
  }
  return true;
}

}  // namespace sexp
