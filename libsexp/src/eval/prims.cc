// The built-in primitives, by group. Each charges steps in proportion to the
// work it does (per element, per 64 bytes built) so that a single call cannot
// outrun the step limit.
#include "eval/prims.h"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "eval/format_spec.h"
#include "eval/machine.h"
#include "core/strutil.h"

namespace sexp::eval_internal {
namespace {

using Args = absl::Span<const Value>;
using internal::AV;

// Calls fn on each item (out[i] = result), every item even when one waits
// on a pending I/O request (EachPastPending).
void CallEach(CallContext& c, const Value& fn, absl::Span<const Value> items,
              std::vector<Value>* out) {
  out->resize(items.size());
  EachPastPending(items.size(), [&](size_t i) { (*out)[i] = c.Call(fn, {&items[i], 1}); });
}

const char kPrelude[] =
#include "eval/prelude.inc"
    ;

[[noreturn]] void TypeError(CallContext& c, std::string_view prim, std::string_view want,
                            const Value& got) {
  c.Fail(EvalErrorCode::kType, absl::StrCat("'", AV(prim), "' needs ", AV(want), ", got ", AV(ValueTypeName(got.type()))));
}

int64_t IntArg(CallContext& c, std::string_view prim, const Value& v) {
  if (!v.is_int()) TypeError(c, prim, "an int", v);
  return v.as_int();
}

std::string_view StrArg(CallContext& c, std::string_view prim, const Value& v) {
  if (!v.is_string()) TypeError(c, prim, "a string", v);
  return v.str();
}

// Items of a list, or nil as the empty list.
absl::Span<const Value> Seq(CallContext& c, std::string_view prim, const Value& v) {
  if (v.is_nil()) return {};
  if (!v.is_list()) TypeError(c, prim, "a list", v);
  return v.items();
}

// Key/value items of a dict, or nil as the empty dict.
absl::Span<const Value> DictItems(CallContext& c, std::string_view prim, const Value& v) {
  if (v.is_nil()) return {};
  if (!v.is_dict()) TypeError(c, prim, "a dict", v);
  return v.items();
}

// --- arithmetic -------------------------------------------------------------

Value Arith(CallContext& c, Args a, char op) {
  const char name[2] = {op, 0};
  if (a.empty()) return Value::Int(op == '*' ? 1 : 0);
  for (const Value& v : a) {
    if (!v.is_number()) TypeError(c, name, "numbers", v);
  }
  if (a.size() == 1 && op == '-') {
    if (a[0].is_int()) {
      if (a[0].as_int() == INT64_MIN) c.Fail(EvalErrorCode::kOverflow, "integer overflow in '-'");
      return Value::Int(-a[0].as_int());
    }
    return Value::Float(-a[0].as_float());
  }
  bool all_int = true;
  for (const Value& v : a) all_int &= v.is_int();
  if (all_int) {
    int64_t acc = a[0].as_int();
    for (size_t i = 1; i < a.size(); ++i) {
      int64_t x = a[i].as_int();
      bool over = op == '+' ? __builtin_add_overflow(acc, x, &acc)
                  : op == '-' ? __builtin_sub_overflow(acc, x, &acc)
                              : __builtin_mul_overflow(acc, x, &acc);
      if (over) c.Fail(EvalErrorCode::kOverflow, absl::StrCat("integer overflow in '", name, "'"));
    }
    return Value::Int(acc);
  }
  double acc = a[0].as_number();
  for (size_t i = 1; i < a.size(); ++i) {
    double x = a[i].as_number();
    acc = op == '+' ? acc + x : op == '-' ? acc - x : acc * x;
  }
  if (!std::isfinite(acc)) c.Fail(EvalErrorCode::kOverflow, absl::StrCat("float overflow in '", name, "'"));
  return Value::Float(acc);
}

Value Divide(CallContext& c, Args a) {
  for (const Value& v : a) {
    if (!v.is_number()) TypeError(c, "/", "numbers", v);
  }
  double acc = a.size() == 1 ? 1.0 : a[0].as_number();
  for (size_t i = a.size() == 1 ? 0 : 1; i < a.size(); ++i) {
    double x = a[i].as_number();
    if (x == 0) c.Fail(EvalErrorCode::kDivisionByZero, "division by zero in '/'");
    acc /= x;
  }
  if (!std::isfinite(acc)) c.Fail(EvalErrorCode::kOverflow, "float overflow in '/'");
  return Value::Float(acc);
}

Value IntDivide(CallContext& c, Args a, bool mod) {
  const char* name = mod ? "mod" : "quot";
  int64_t x = IntArg(c, name, a[0]), y = IntArg(c, name, a[1]);
  if (y == 0) c.Fail(EvalErrorCode::kDivisionByZero, absl::StrCat("division by zero in '", name, "'"));
  if (x == INT64_MIN && y == -1) {
    if (mod) return Value::Int(0);
    c.Fail(EvalErrorCode::kOverflow, "integer overflow in 'quot'");
  }
  if (!mod) return Value::Int(x / y);
  int64_t r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) r += y;  // sign of the divisor, like Python
  return Value::Int(r);
}

// One comparison, charged a step (plus one per 64 bytes of text compared):
// a sort's comparisons are its work, and the deadline is checked among them.
int Compare(CallContext& c, std::string_view prim, const Value& a, const Value& b) {
  if (a.is_string() && b.is_string()) c.Charge(1 + std::min(a.size(), b.size()) / 64);
  else c.Charge(1);
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int();
    double x = a.as_number(), y = b.as_number();
    return x < y ? -1 : x > y;
  }
  if (a.is_string() && b.is_string()) {
    int r = a.str().compare(b.str());
    return r < 0 ? -1 : r > 0;
  }
  if ((a.is_keyword() && b.is_keyword()) || (a.is_symbol() && b.is_symbol())) {
    int r = a.name().compare(b.name());
    return r < 0 ? -1 : r > 0;
  }
  c.Fail(EvalErrorCode::kType, absl::StrCat("'", AV(prim), "' compares numbers with numbers or strings with "
                              "strings, got ", AV(ValueTypeName(a.type())), " and ",
                              AV(ValueTypeName(b.type()))));
}

Value Chain(CallContext& c, Args a, std::string_view prim, bool (*ok)(int)) {
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    if (!ok(Compare(c, prim, a[i], a[i + 1]))) return Value::Bool(false);
  }
  return Value::Bool(true);
}

// The least (sign -1) or greatest (sign 1) argument, by Compare.
Value Extreme(CallContext& c, Args a, std::string_view prim, int sign) {
  Value best = a[0];
  for (const Value& v : a) {
    if (Compare(c, prim, v, best) == sign) best = v;
  }
  return best;
}

// An int as it is; a float through `fn` (floor, round) into int64.
Value ToInt(CallContext& c, std::string_view prim, const Value& v, double (*fn)(double)) {
  if (v.is_int()) return v;
  if (!v.is_float()) TypeError(c, prim, "a number", v);
  double f = fn(v.as_float());
  if (!(f >= -9.2e18 && f <= 9.2e18)) {
    c.Fail(EvalErrorCode::kOverflow, absl::StrCat("'", AV(prim), "' result outside int64"));
  }
  return Value::Int(static_cast<int64_t>(f));
}

// --- strings ----------------------------------------------------------------

// Charges a scan of `bytes` bytes of an existing string (a step per 64): a
// primitive whose one call reads a whole large string is work in proportion.
void ChargeScan(CallContext& c, size_t bytes) { c.Charge(bytes / 64); }

// The first `needle` in `s` at or after `from`, or npos. glibc's memmem is
// linear (two-way) where string_view::find can take |s|·|needle| steps on
// a hostile pair ("aaa…a" for "aa…ab").
size_t Find(std::string_view s, std::string_view needle, size_t from) {
  if (from > s.size()) return std::string_view::npos;
  if (needle.empty()) return from;
  const void* at = memmem(s.data() + from, s.size() - from, needle.data(), needle.size());
  return at == nullptr ? std::string_view::npos
                       : static_cast<size_t>(static_cast<const char*>(at) - s.data());
}


// Byte offset of code point `index` in s (clamped to the end).
size_t CodePointOffset(std::string_view s, int64_t index) {
  size_t i = 0;
  for (int64_t k = 0; k < index && i < s.size(); ++k) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

int64_t CodePointCount(std::string_view s) {
  int64_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

// --- lists --------------------------------------------------------------------

void SortValues(CallContext& c, std::vector<Value>& v, const Value* key_fn) {
  // (Each comparison charges itself: Compare.) stable_sort's buffer:
  c.ChargeBytes(v.size() * sizeof(Value) * (key_fn != nullptr ? 3 : 1));
  if (key_fn == nullptr) {
    std::stable_sort(v.begin(), v.end(), [&](const Value& a, const Value& b) {
      return Compare(c, "sort", a, b) < 0;
    });
    return;
  }
  std::vector<std::pair<Value, Value>> keyed;
  keyed.reserve(v.size());
  for (const Value& x : v) keyed.emplace_back(c.Call(*key_fn, {&x, 1}), x);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    return Compare(c, "sort-by", a.first, b.first) < 0;
  });
  for (size_t i = 0; i < v.size(); ++i) v[i] = keyed[i].second;
}

void DefineAll(Environment& env) {
  auto def = [&](const char* name, int min, int max, uint32_t group, PrimitiveFn fn) {
    env.DefinePrimitive(name, min, max, std::move(fn), group);
  };

  // --- core ----------------------------------------------------------------
  def("+", 0, -1, kGroupCore, [](CallContext& c, Args a) { return Arith(c, a, '+'); });
  def("-", 1, -1, kGroupCore, [](CallContext& c, Args a) { return Arith(c, a, '-'); });
  def("*", 0, -1, kGroupCore, [](CallContext& c, Args a) { return Arith(c, a, '*'); });
  def("/", 1, -1, kGroupCore, [](CallContext& c, Args a) { return Divide(c, a); });
  def("quot", 2, 2, kGroupCore, [](CallContext& c, Args a) { return IntDivide(c, a, false); });
  def("mod", 2, 2, kGroupCore, [](CallContext& c, Args a) { return IntDivide(c, a, true); });
  def("=", 1, -1, kGroupCore, [](CallContext& c, Args a) {
    for (size_t i = 0; i + 1 < a.size(); ++i) {
      if (!c.Equal(a[i], a[i + 1])) return Value::Bool(false);
    }
    return Value::Bool(true);
  });
  def("!=", 2, 2, kGroupCore,
      [](CallContext& c, Args a) { return Value::Bool(!c.Equal(a[0], a[1])); });
  def("<", 1, -1, kGroupCore,
      [](CallContext& c, Args a) { return Chain(c, a, "<", [](int r) { return r < 0; }); });
  def(">", 1, -1, kGroupCore,
      [](CallContext& c, Args a) { return Chain(c, a, ">", [](int r) { return r > 0; }); });
  def("<=", 1, -1, kGroupCore,
      [](CallContext& c, Args a) { return Chain(c, a, "<=", [](int r) { return r <= 0; }); });
  def(">=", 1, -1, kGroupCore,
      [](CallContext& c, Args a) { return Chain(c, a, ">=", [](int r) { return r >= 0; }); });
  def("not", 1, 1, kGroupCore, [](CallContext&, Args a) { return Value::Bool(!a[0].truthy()); });
  def("abs", 1, 1, kGroupCore, [](CallContext& c, Args a) {
    if (a[0].is_int()) {
      if (a[0].as_int() == INT64_MIN) c.Fail(EvalErrorCode::kOverflow, "integer overflow in 'abs'");
      return Value::Int(std::abs(a[0].as_int()));
    }
    if (!a[0].is_float()) TypeError(c, "abs", "a number", a[0]);
    return Value::Float(std::fabs(a[0].as_float()));
  });
  def("min", 1, -1, kGroupCore, [](CallContext& c, Args a) { return Extreme(c, a, "min", -1); });
  def("max", 1, -1, kGroupCore, [](CallContext& c, Args a) { return Extreme(c, a, "max", 1); });
  def("floor", 1, 1, kGroupCore,
      [](CallContext& c, Args a) { return ToInt(c, "floor", a[0], [](double x) { return std::floor(x); }); });
  def("round", 1, 1, kGroupCore,
      [](CallContext& c, Args a) { return ToInt(c, "round", a[0], [](double x) { return std::round(x); }); });
  // Trusted markup: the renderer writes it unescaped. Only code can make
  // one; the same list arriving as data is a render error.
  def("raw!", 1, 1, kGroupString, [](CallContext& c, Args a) {
    if (!a[0].is_string() && !a[0].is_html()) TypeError(c, "raw!", "a string", a[0]);
    return Value::HtmlView(a[0].str());
  });
  // Names that could not be written (and read back) are refused: a value
  // that prints as #<unprintable…> would make two different requests, or
  // cached subtrees, look alike.
  def("keyword", 1, 1, kGroupString, [](CallContext& c, Args a) {
    if (a[0].is_keyword()) return a[0];
    std::string_view name = StrArg(c, "keyword", a[0]);
    if (!IsValidKeywordName(name)) {
      c.Fail(EvalErrorCode::kType, absl::StrCat("'keyword' needs a name that reads back as a "
                                                "keyword, got \"", AV(name.substr(0, 64)), "\""));
    }
    return c.Keyword(name);
  });
  def("symbol", 1, 1, kGroupString, [](CallContext& c, Args a) {
    if (a[0].is_symbol()) return a[0];
    std::string_view name = StrArg(c, "symbol", a[0]);
    if (!IsValidSymbolName(name)) {
      c.Fail(EvalErrorCode::kType, absl::StrCat("'symbol' needs a name that reads back as a "
                                                "symbol, got \"", AV(name.substr(0, 64)), "\""));
    }
    return c.Symbol(name);
  });
  def("type-of", 1, 1, kGroupCore,
      [](CallContext& c, Args a) { return c.Keyword(ValueTypeName(a[0].type())); });
  struct Pred {
    const char* name;
    bool (*test)(const Value&);
  };
  static constexpr Pred kPreds[] = {
      {"nil?", [](const Value& v) { return v.is_nil(); }},
      {"bool?", [](const Value& v) { return v.is_bool(); }},
      {"number?", [](const Value& v) { return v.is_number(); }},
      {"int?", [](const Value& v) { return v.is_int(); }},
      {"float?", [](const Value& v) { return v.is_float(); }},
      {"string?", [](const Value& v) { return v.is_string(); }},
      {"symbol?", [](const Value& v) { return v.is_symbol(); }},
      {"keyword?", [](const Value& v) { return v.is_keyword(); }},
      {"list?", [](const Value& v) { return v.is_list(); }},
      {"dict?", [](const Value& v) { return v.is_dict(); }},
      {"fn?", [](const Value& v) { return v.is_callable(); }},
      {"component?", [](const Value& v) { return v.type() == ValueType::kComponent; }},
  };
  for (const Pred& p : kPreds) {
    def(p.name, 1, 1, kGroupCore,
        [test = p.test](CallContext&, Args a) { return Value::Bool(test(a[0])); });
  }
  def("error", 1, 2, kGroupCore, [](CallContext& c, Args a) -> Value {
    std::string msg = a[0].is_string() ? std::string(a[0].str()) : c.Print(a[0]);
    if (a.size() == 2) absl::StrAppend(&msg, " ", c.Print(a[1]));
    c.Fail(EvalErrorCode::kUser, std::move(msg));
  });

  // --- strings ---------------------------------------------------------------
  def("str", 0, -1, kGroupString, [](CallContext& c, Args a) {
    std::string out;
    for (const Value& v : a) AppendDisplay(Machine::Of(c), &out, v);
    return c.MakeString(out);
  });
  def("format", 1, -1, kGroupString, [](CallContext& c, Args a) {
    // "{}" takes the next argument (display text), "{:spec}" the next one
    // formatted by a spec (eval/format_spec.h); "{{" and "}}" are braces.
    std::string_view f = StrArg(c, "format", a[0]);
    Machine::Of(c).AccountText(f.size());  // its literal text
    std::string out;
    size_t next = 1;
    for (size_t i = 0; i < f.size(); ++i) {
      if (f[i] == '{' && i + 1 < f.size() && f[i + 1] == '{') {
        out += '{';
        ++i;
      } else if (f[i] == '}' && i + 1 < f.size() && f[i + 1] == '}') {
        out += '}';
        ++i;
      } else if (f[i] == '{' && i + 1 < f.size() && f[i + 1] == '}') {
        if (next >= a.size()) c.Fail(EvalErrorCode::kArity, "'format' has more {} than arguments");
        AppendDisplay(Machine::Of(c), &out, a[next++]);
        ++i;
      } else if (f[i] == '{' && i + 1 < f.size() && f[i + 1] == ':') {
        // {:spec} — Python's format-spec mini-language (eval/format_spec.h).
        size_t close = f.find('}', i + 2);
        if (close == std::string_view::npos) c.Fail(EvalErrorCode::kType, "'format': '{:' without '}'");
        FormatSpec spec;
        std::string error;
        if (!ParseFormatSpec(f.substr(i + 2, close - i - 2), &spec, &error)) {
          c.Fail(EvalErrorCode::kType, "'format': " + error);
        }
        if (next >= a.size()) c.Fail(EvalErrorCode::kArity, "'format' has more {} than arguments");
        const Value& v = a[next++];
        std::string display;
        AppendDisplay(Machine::Of(c), &display, v);
        // What AppendFormatted may add: the padding (fill up to 4 bytes a
        // character) and the digits, charged before it is made.
        Machine::Of(c).AccountText(4 * size_t{spec.width} + 512);
        if (!AppendFormatted(spec, v, display, &out, &error)) {
          c.Fail(EvalErrorCode::kType, "'format': " + error);
        }
        i = close;
      } else {
        out += f[i];
      }
    }
    if (next != a.size()) c.Fail(EvalErrorCode::kArity, "'format' has more arguments than {}");
    return c.MakeString(out);
  });
  def("format-date", 2, 2, kGroupString, [](CallContext& c, Args a) {
    std::string_view when = StrArg(c, "format-date", a[0]);
    std::string_view pattern = StrArg(c, "format-date", a[1]);
    // A directive writes at most a few dozen bytes (%c, %B): charged first.
    Machine::Of(c).AccountText(when.size() + 32 * pattern.size() + 64);
    std::string out, error;
    if (!FormatDate(when, pattern, &out, &error)) c.Fail(EvalErrorCode::kType, error);
    return c.MakeString(out);
  });
  def("substring", 2, 3, kGroupString, [](CallContext& c, Args a) {
    std::string_view s = StrArg(c, "substring", a[0]);
    ChargeScan(c, s.size());
    int64_t n = CodePointCount(s);
    int64_t from = std::clamp<int64_t>(IntArg(c, "substring", a[1]), 0, n);
    int64_t to = a.size() == 3 ? std::clamp<int64_t>(IntArg(c, "substring", a[2]), from, n) : n;
    size_t b = CodePointOffset(s, from);
    size_t e = CodePointOffset(s, to);
    return Value::StringView(s.substr(b, e - b));  // a view of the same bytes
  });
  def("upper", 1, 1, kGroupString, [](CallContext& c, Args a) {
    c.ChargeBytes(StrArg(c, "upper", a[0]).size());  // the temporary
    return c.MakeString(absl::AsciiStrToUpper(AV(StrArg(c, "upper", a[0]))));
  });
  def("lower", 1, 1, kGroupString, [](CallContext& c, Args a) {
    c.ChargeBytes(StrArg(c, "lower", a[0]).size());  // the temporary
    return c.MakeString(absl::AsciiStrToLower(AV(StrArg(c, "lower", a[0]))));
  });
  def("trim", 1, 1, kGroupString, [](CallContext& c, Args a) {
    absl::string_view t = absl::StripAsciiWhitespace(AV(StrArg(c, "trim", a[0])));
    return Value::StringView(std::string_view(t.data(), t.size()));
  });
  def("split", 2, 2, kGroupString, [](CallContext& c, Args a) {
    std::string_view s = StrArg(c, "split", a[0]);
    std::string_view sep = StrArg(c, "split", a[1]);
    if (sep.empty()) c.Fail(EvalErrorCode::kType, "'split' needs a non-empty separator");
    ChargeScan(c, s.size());
    std::vector<Value> parts;
    size_t start = 0;
    for (size_t at = Find(s, sep, 0); at != std::string_view::npos; at = Find(s, sep, start)) {
      c.ChargeBytes(sizeof(Value));
      parts.push_back(Value::StringView(s.substr(start, at - start)));
      start = at + sep.size();
    }
    parts.push_back(Value::StringView(s.substr(start)));
    c.Charge(parts.size());
    return c.MakeList(parts);
  });
  def("join", 2, 2, kGroupString, [](CallContext& c, Args a) {
    std::string_view sep = StrArg(c, "join", a[0]);
    std::string out;
    bool first = true;
    for (const Value& v : Seq(c, "join", a[1])) {
      if (!first) AppendText(Machine::Of(c), &out, sep);
      first = false;
      AppendDisplay(Machine::Of(c), &out, v);
    }
    c.Charge(a[1].size());
    return c.MakeString(out);
  });
  def("replace", 3, 3, kGroupString, [](CallContext& c, Args a) {
    std::string_view s = StrArg(c, "replace", a[0]);
    std::string_view from = StrArg(c, "replace", a[1]);
    std::string_view to = StrArg(c, "replace", a[2]);
    if (from.empty()) c.Fail(EvalErrorCode::kType, "'replace' needs a non-empty string to replace");
    // The result's size first (a scan), charged before it is built.
    c.Charge(s.size() / 64);
    uint64_t hits = 0;
    for (size_t at = Find(s, from, 0); at != std::string_view::npos;
         at = Find(s, from, at + from.size())) {
      ++hits;
    }
    uint64_t size = s.size() - hits * from.size() + hits * to.size();
    Machine::Of(c).AccountText(size);
    std::string out;
    out.reserve(size);
    size_t start = 0;
    for (size_t at = Find(s, from, 0); at != std::string_view::npos; at = Find(s, from, start)) {
      out.append(s.substr(start, at - start));
      out.append(to);
      start = at + from.size();
    }
    out.append(s.substr(start));
    return c.MakeString(out);
  });
  def("starts-with?", 2, 2, kGroupString, [](CallContext& c, Args a) {
    ChargeScan(c, std::min(a[0].size(), a[1].size()));
    return Value::Bool(absl::StartsWith(AV(StrArg(c, "starts-with?", a[0])),
                                        AV(StrArg(c, "starts-with?", a[1]))));
  });
  def("ends-with?", 2, 2, kGroupString, [](CallContext& c, Args a) {
    ChargeScan(c, std::min(a[0].size(), a[1].size()));
    return Value::Bool(absl::EndsWith(AV(StrArg(c, "ends-with?", a[0])),
                                      AV(StrArg(c, "ends-with?", a[1]))));
  });
  def("contains?", 2, 2, kGroupString, [](CallContext& c, Args a) {
    if (a[0].is_list()) {  // element membership
      c.Charge(a[0].size());
      for (const Value& v : a[0].items()) {
        if (c.Equal(v, a[1])) return Value::Bool(true);
      }
      return Value::Bool(false);
    }
    std::string_view s = StrArg(c, "contains?", a[0]);
    std::string_view needle = StrArg(c, "contains?", a[1]);
    ChargeScan(c, s.size() + needle.size());
    return Value::Bool(Find(s, needle, 0) != std::string_view::npos);
  });
  def("string-length", 1, 1, kGroupString, [](CallContext& c, Args a) {
    ChargeScan(c, StrArg(c, "string-length", a[0]).size());
    return Value::Int(CodePointCount(StrArg(c, "string-length", a[0])));
  });

  // --- lists -------------------------------------------------------------------
  def("list", 0, -1, kGroupList, [](CallContext& c, Args a) { return c.MakeList(a); });
  def("cons", 2, 2, kGroupList, [](CallContext& c, Args a) {
    auto rest = Seq(c, "cons", a[1]);
    std::vector<Value> out;
    out.reserve(rest.size() + 1);
    out.push_back(a[0]);
    out.insert(out.end(), rest.begin(), rest.end());
    c.Charge(out.size());
    return c.MakeList(out);
  });
  def("first", 1, 1, kGroupList, [](CallContext& c, Args a) {
    auto s = Seq(c, "first", a[0]);
    return s.empty() ? Value() : s[0];
  });
  def("rest", 1, 1, kGroupList, [](CallContext& c, Args a) {
    auto s = Seq(c, "rest", a[0]);
    return Value::ListView(s.empty() ? s : s.subspan(1));  // shares the elements
  });
  def("nth", 2, 2, kGroupList, [](CallContext& c, Args a) {
    auto s = Seq(c, "nth", a[0]);
    int64_t i = IntArg(c, "nth", a[1]);
    if (i < 0 || static_cast<uint64_t>(i) >= s.size()) {
      c.Fail(EvalErrorCode::kIndex, absl::StrCat("index ", i, " is outside a list of ", s.size()));
    }
    return s[static_cast<size_t>(i)];
  });
  def("count", 1, 1, kGroupList, [](CallContext& c, Args a) {
    if (a[0].is_string()) {
      ChargeScan(c, a[0].size());
      return Value::Int(CodePointCount(a[0].str()));
    }
    if (a[0].is_dict()) return Value::Int(static_cast<int64_t>(a[0].size() / 2));
    return Value::Int(static_cast<int64_t>(Seq(c, "count", a[0]).size()));
  });
  // (seq x), from the platform's base primitives: nil for nil and for an
  // empty list, dict or string; otherwise a list — the list itself, a dict's
  // (key value) pairs, a string's characters (each a string).
  def("seq", 1, 1, kGroupList, [](CallContext& c, Args a) {
    if (a[0].is_string()) {
      std::string_view s = a[0].str();
      ChargeScan(c, s.size());
      // The list's slots, charged before they are allocated (the strings
      // are charged as each is made).
      const auto n_chars = static_cast<size_t>(CodePointCount(s));
      c.ChargeBytes(n_chars * sizeof(Value));
      std::vector<Value> chars;
      chars.reserve(n_chars);
      for (size_t i = 0; i < s.size();) {
        size_t n = 1;  // a code point: its lead byte and the continuation bytes after it
        while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
        chars.push_back(c.MakeString(s.substr(i, n)));
        i += n;
      }
      return chars.empty() ? Value() : c.MakeList(chars);
    }
    if (a[0].is_dict()) {
      c.Charge(a[0].size());
      std::vector<Value> pairs;
      for (size_t i = 0; i + 1 < a[0].size(); i += 2) {
        pairs.push_back(c.MakeList({a[0][i], a[0][i + 1]}));
      }
      return pairs.empty() ? Value() : c.MakeList(pairs);
    }
    return Seq(c, "seq", a[0]).empty() ? Value() : a[0];
  });
  def("empty?", 1, 1, kGroupList, [](CallContext& c, Args a) {
    if (a[0].is_string() || a[0].is_dict()) return Value::Bool(a[0].size() == 0);
    return Value::Bool(Seq(c, "empty?", a[0]).empty());
  });
  auto concat = [](CallContext& c, Args a) {
    bool strings = !a.empty() && a[0].is_string();
    if (strings) {
      std::string out;
      for (const Value& v : a) AppendText(Machine::Of(c), &out, StrArg(c, "concat", v));
      return c.MakeString(out);
    }
    uint64_t total = 0;
    for (const Value& v : a) total += Seq(c, "concat", v).size();
    c.Charge(total);
    c.ChargeBytes(total * sizeof(Value));
    std::vector<Value> out;
    out.reserve(total);
    for (const Value& v : a) {
      auto s = Seq(c, "concat", v);
      out.insert(out.end(), s.begin(), s.end());
    }
    return c.MakeList(out);
  };
  def("concat", 0, -1, kGroupList, concat);
  def("append", 1, -1, kGroupList, [](CallContext& c, Args a) {
    auto s = Seq(c, "append", a[0]);
    std::vector<Value> out(s.begin(), s.end());
    out.insert(out.end(), a.begin() + 1, a.end());
    c.Charge(out.size());
    return c.MakeList(out);
  });
  def("reverse", 1, 1, kGroupList, [](CallContext& c, Args a) {
    auto s = Seq(c, "reverse", a[0]);
    std::vector<Value> out(s.rbegin(), s.rend());
    c.Charge(out.size());
    return c.MakeList(out);
  });
  def("sort", 1, 1, kGroupList, [](CallContext& c, Args a) {
    auto s = Seq(c, "sort", a[0]);
    std::vector<Value> out(s.begin(), s.end());
    SortValues(c, out, nullptr);
    return c.MakeList(out);
  });
  def("sort-by", 2, 2, kGroupList, [](CallContext& c, Args a) {
    auto s = Seq(c, "sort-by", a[1]);
    std::vector<Value> out(s.begin(), s.end());
    SortValues(c, out, &a[0]);
    return c.MakeList(out);
  });
  def("range", 1, 3, kGroupList, [](CallContext& c, Args a) {
    int64_t from = 0, to, step = 1;
    if (a.size() == 1) {
      to = IntArg(c, "range", a[0]);
    } else {
      from = IntArg(c, "range", a[0]);
      to = IntArg(c, "range", a[1]);
      if (a.size() == 3) step = IntArg(c, "range", a[2]);
    }
    if (step == 0) c.Fail(EvalErrorCode::kType, "'range' step must not be 0");
    // Size first, charged before anything is built: a billion-element range
    // ends at the step limit, not in an allocation.
    __int128 span = static_cast<__int128>(to) - from;
    __int128 n128 = (step > 0) ? (span > 0 ? (span + step - 1) / step : 0)
                               : (span < 0 ? (span + step + 1) / step : 0);
    uint64_t n = static_cast<uint64_t>(n128);
    c.Charge(n);
    std::vector<Value> out;
    out.reserve(n);
    int64_t x = from;
    for (uint64_t i = 0; i < n; ++i, x += step) out.push_back(Value::Int(x));
    return c.MakeList(out);
  });
  def("take", 2, 2, kGroupList, [](CallContext& c, Args a) {
    auto s = Seq(c, "take", a[1]);
    int64_t n = std::clamp<int64_t>(IntArg(c, "take", a[0]), 0, static_cast<int64_t>(s.size()));
    return Value::ListView(s.subspan(0, static_cast<size_t>(n)));
  });
  def("drop", 2, 2, kGroupList, [](CallContext& c, Args a) {
    auto s = Seq(c, "drop", a[1]);
    int64_t n = std::clamp<int64_t>(IntArg(c, "drop", a[0]), 0, static_cast<int64_t>(s.size()));
    return Value::ListView(s.subspan(static_cast<size_t>(n)));
  });
  def("map", 2, 2, kGroupList, [](CallContext& c, Args a) {
    auto s = Seq(c, "map", a[1]);
    std::vector<Value> out;
    CallEach(c, a[0], s, &out);
    return c.MakeList(out);
  });
  def("filter", 2, 2, kGroupList, [](CallContext& c, Args a) {
    auto s = Seq(c, "filter", a[1]);
    std::vector<Value> keep, out;
    CallEach(c, a[0], s, &keep);
    for (size_t i = 0; i < s.size(); ++i) {
      if (keep[i].truthy()) out.push_back(s[i]);
    }
    return c.MakeList(out);
  });
  def("reduce", 3, 3, kGroupList, [](CallContext& c, Args a) {
    Value acc = a[1];
    for (const Value& v : Seq(c, "reduce", a[2])) {
      Value pair[2] = {acc, v};
      acc = c.Call(a[0], pair);
    }
    return acc;
  });
  def("apply", 2, -1, kGroupList, [](CallContext& c, Args a) {
    std::vector<Value> args(a.begin() + 1, a.end() - 1);
    auto last = Seq(c, "apply", a.back());
    args.insert(args.end(), last.begin(), last.end());
    c.Charge(args.size());
    return c.Call(a[0], args);
  });

  // --- dicts -------------------------------------------------------------------
  def("dict", 0, -1, kGroupDict, [](CallContext& c, Args a) {
    c.Charge(a.size());
    return c.MakeDict(a);
  });
  def("assoc", 3, -1, kGroupDict, [](CallContext& c, Args a) {
    auto d = DictItems(c, "assoc", a[0]);
    std::vector<Value> flat(d.begin(), d.end());
    flat.insert(flat.end(), a.begin() + 1, a.end());
    c.Charge(flat.size());
    return c.MakeDict(flat);
  });
  def("dissoc", 2, -1, kGroupDict, [](CallContext& c, Args a) {
    auto d = DictItems(c, "dissoc", a[0]);
    c.Charge(d.size() / 2 * (a.size() - 1));  // each pair against each key
    std::vector<Value> flat;
    for (size_t i = 0; i + 1 < d.size(); i += 2) {
      bool drop = false;
      for (size_t k = 1; k < a.size(); ++k) {
        drop |= SameKey(d[i], a[k]);
      }
      if (!drop) {
        flat.push_back(d[i]);
        flat.push_back(d[i + 1]);
      }
    }
    c.Charge(d.size());
    return c.MakeDict(flat);
  });
  def("get", 2, 3, kGroupDict, [](CallContext& c, Args a) {
    c.Charge(a[0].size() / 16);  // a lookup scans the pairs
    Value found;
    if (a[0].is_list() && a[1].is_int()) {
      int64_t i = a[1].as_int();
      if (i >= 0 && static_cast<uint64_t>(i) < a[0].size()) return a[0][static_cast<size_t>(i)];
    } else if (LookupKey(a[0], a[1], &found)) {
      return found;
    }
    return a.size() == 3 ? a[2] : Value();
  });
  // The platform's field access: (slot post :title), also written
  // (:slot post :title); nil when the field is missing.
  def("slot", 2, 2, kGroupDict, [](CallContext& c, Args a) {
    c.Charge(a[0].size() / 16);
    Value found;
    return LookupKey(a[0], a[1], &found) ? found : Value();
  });
  def("has-key?", 2, 2, kGroupDict, [](CallContext& c, Args a) {
    c.Charge(a[0].size() / 16);
    Value found;
    return Value::Bool(LookupKey(a[0], a[1], &found));
  });
  def("keys", 1, 1, kGroupDict, [](CallContext& c, Args a) {
    auto d = DictItems(c, "keys", a[0]);
    c.Charge(d.size() / 2);
    std::vector<Value> out;
    for (size_t i = 0; i + 1 < d.size(); i += 2) out.push_back(d[i]);
    return c.MakeList(out);
  });
  def("vals", 1, 1, kGroupDict, [](CallContext& c, Args a) {
    auto d = DictItems(c, "vals", a[0]);
    c.Charge(d.size() / 2);
    std::vector<Value> out;
    for (size_t i = 0; i + 1 < d.size(); i += 2) out.push_back(d[i + 1]);
    return c.MakeList(out);
  });
  def("merge", 0, -1, kGroupDict, [](CallContext& c, Args a) {
    std::vector<Value> flat;
    for (const Value& v : a) {
      auto d = DictItems(c, "merge", v);
      flat.insert(flat.end(), d.begin(), d.end());
    }
    c.Charge(flat.size());
    return c.MakeDict(flat);
  });
}

}  // namespace

void AppendText(Machine& m, std::string* out, std::string_view text) {
  m.AccountText(text.size());  // what the string will hold (it grows by doubling)
  out->append(text);
}

void AppendDisplay(Machine& m, std::string* out, const Value& v) {
  if (v.is_string()) {
    AppendText(m, out, v.str());
  } else if (!v.is_nil()) {
    AppendText(m, out, m.Print(v));  // printed node by node, charged
  }
}

void InstallPrimitives(Environment& env, Environment::State& state) {
  DefineAll(env);
  // Only now, while every registered primitive is the library's own, are the
  // inline cases and stream ops attached (by name); a host that registers "+"
  // later gets a new Primitive without one.
  static constexpr std::pair<std::string_view, InlineOp> kInline[] = {
      {"+", InlineOp::kAdd}, {"-", InlineOp::kSub}, {"*", InlineOp::kMul},
      {"mod", InlineOp::kMod}, {"<", InlineOp::kLt}, {">", InlineOp::kGt},
      {"<=", InlineOp::kLe}, {">=", InlineOp::kGe}, {"=", InlineOp::kEq},
      {"not", InlineOp::kNot},
  };
  for (auto& p : state.primitives) {
    for (const auto& [name, op] : kInline) {
      if (p->name == name) p->op = op;
    }
    if (p->name == "str") p->stream = StreamOp::kStr;
    if (p->name == "map") p->stream = StreamOp::kMap;
    if (p->name == "keyword") p->stream = StreamOp::kKeyword;
  }
}

void LoadPrelude(Environment& env) {
  EvalResult r = env.Eval(kPrelude, "<prelude>");
  if (!r.ok()) std::abort();  // the prelude is part of the library: a build bug
}

}  // namespace sexp::eval_internal
