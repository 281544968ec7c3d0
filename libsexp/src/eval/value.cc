// Values: names, equality, and sx text (through the canonical writer).
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "eval/machine.h"
#include "core/strutil.h"
#include "sexp/core/writer.h"

namespace sexp {

using internal::AV;

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNil: return "nil";
    case ValueType::kBool: return "bool";
    case ValueType::kInt: return "int";
    case ValueType::kFloat: return "float";
    case ValueType::kString: return "string";
    case ValueType::kBytes: return "bytes";
    case ValueType::kSymbol: return "symbol";
    case ValueType::kKeyword: return "keyword";
    case ValueType::kList: return "list";
    case ValueType::kDict: return "dict";
    case ValueType::kHtml: return "html";
    case ValueType::kFunction: return "function";
    case ValueType::kPrimitive: return "primitive";
    case ValueType::kComponent: return "component";
    case ValueType::kMacro: return "macro";
  }
  return "?";
}

namespace {

// Equality of two values that are not both lists or both dicts.
bool AtomsEqual(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
    return a.as_number() == b.as_number();
  }
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case ValueType::kNil: return true;
    case ValueType::kBool: return a.as_bool() == b.as_bool();
    case ValueType::kString:
    case ValueType::kBytes:
    case ValueType::kHtml: return a.str() == b.str();
    case ValueType::kSymbol:
    case ValueType::kKeyword: return a.atom() == b.atom() || a.name() == b.name();
    default: return a.object() == b.object();
  }
}

}  // namespace

bool ValuesEqual(const Value& a, const Value& b) {
  auto both_seqs = [](const Value& x, const Value& y) {
    return (x.is_list() && y.is_list()) || (x.is_dict() && y.is_dict());
  };
  if (!both_seqs(a, b)) return AtomsEqual(a, b);  // the common case: no work list
  // Iterative: lists built by code can nest far deeper than the C++ stack.
  std::vector<std::pair<const Value*, const Value*>> todo{{&a, &b}};
  while (!todo.empty()) {
    auto [x, y] = todo.back();
    todo.pop_back();
    if (!both_seqs(*x, *y)) {
      if (!AtomsEqual(*x, *y)) return false;
      continue;
    }
    if (x->size() != y->size()) return false;
    for (size_t i = x->size(); i-- > 0;) todo.emplace_back(&(*x)[i], &(*y)[i]);
  }
  return true;
}

namespace {

std::string CallableName(const Value& v) {
  if (v.type() == ValueType::kPrimitive) {
    return static_cast<const eval_internal::Primitive*>(v.object())->name;
  }
  return static_cast<const eval_internal::Function*>(v.object())->lambda->name;
}

// Copies a value into a Builder document (callables become the string
// "#<function name>", since they have no sx text). Iterative, like the
// canonical writer, so any nesting depth prints.
Node ToNode(Builder& b, const Value& root) {
  struct Pending {
    const Value* list;
    std::vector<Node> items;  // converted so far
  };
  auto atom = [&b](const Value& v) {
    switch (v.type()) {
      case ValueType::kNil: return b.Nil();
      case ValueType::kBool: return b.Bool(v.as_bool());
      case ValueType::kInt: return b.Int(v.as_int());
      case ValueType::kFloat: return b.Float(v.as_float());
      case ValueType::kString: return b.String(v.str());
      case ValueType::kBytes: return b.Bytes(v.str());
      case ValueType::kSymbol: return b.Symbol(v.name());
      case ValueType::kKeyword: return b.Keyword(v.name());
      case ValueType::kHtml: return b.List({b.Symbol("raw!"), b.String(v.str())});
      default:
        return b.String(absl::StrCat("#<", AV(ValueTypeName(v.type())), " ", CallableName(v), ">"));
    }
  };
  auto is_seq = [](const Value& v) { return v.is_list() || v.is_dict(); };
  if (!is_seq(root)) return atom(root);
  std::vector<Pending> stack;
  stack.push_back({&root, {}});
  for (;;) {
    Pending& top = stack.back();
    if (top.items.size() == top.list->size()) {
      Node done = top.list->is_list() ? b.List(top.items) : b.Dict(top.items);
      stack.pop_back();
      if (stack.empty()) return done;
      stack.back().items.push_back(done);
      continue;
    }
    const Value& next = (*top.list)[top.items.size()];
    if (is_seq(next)) {
      stack.push_back({&next, {}});
    } else {
      top.items.push_back(atom(next));
    }
  }
}

}  // namespace

std::string ToText(const Value& v) {
  if (v.is_callable()) return absl::StrCat("#<", AV(ValueTypeName(v.type())), " ", CallableName(v), ">");
  Builder b;
  Node n = ToNode(b, v);
  Result<Document> doc = b.Finish({n});
  if (!doc.ok()) return absl::StrCat("#<unprintable: ", doc.error().message, ">");
  Result<std::string> text = Canonical(doc->roots()[0]);
  if (!text.ok()) return absl::StrCat("#<unprintable: ", text.error().message, ">");
  return std::move(text.value());
}

}  // namespace sexp
