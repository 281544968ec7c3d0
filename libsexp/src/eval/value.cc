// Values: names, equality, and sx text (through the canonical writer).
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "eval/machine.h"
#include "core/strutil.h"
#include "sexp/core/sink.h"
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

namespace {

bool IsSeq(const Value& v) { return v.is_list() || v.is_dict(); }

// The same list or dict object (items and size): equal without a walk, so
// comparing a value with itself is one step however much it shares.
bool SameSeq(const Value& x, const Value& y) {
  return x.type() == y.type() && x.size() == y.size() && x.items().data() == y.items().data();
}

// Equality, charging `budget` (if any) a step per pair of nodes compared.
bool Equal(const Value& a, const Value& b, Budget* budget) {
  auto both_seqs = [](const Value& x, const Value& y) {
    return (x.is_list() && y.is_list()) || (x.is_dict() && y.is_dict());
  };
  if (!both_seqs(a, b)) return AtomsEqual(a, b);  // the common case: no work list
  if (SameSeq(a, b)) return true;
  // Iterative: lists built by code can nest far deeper than the C++ stack.
  std::vector<std::pair<const Value*, const Value*>> todo{{&a, &b}};
  while (!todo.empty()) {
    auto [x, y] = todo.back();
    todo.pop_back();
    if (budget != nullptr && !budget->Charge(1)) return false;
    if (!both_seqs(*x, *y)) {
      if (!AtomsEqual(*x, *y)) return false;
      continue;
    }
    if (SameSeq(*x, *y)) continue;
    if (x->size() != y->size()) return false;
    for (size_t i = x->size(); i-- > 0;) todo.emplace_back(&(*x)[i], &(*y)[i]);
  }
  return true;
}

}  // namespace

bool ValuesEqual(const Value& a, const Value& b) { return Equal(a, b, nullptr); }
bool ValuesEqual(const Value& a, const Value& b, Budget& budget) { return Equal(a, b, &budget); }

namespace {

std::string CallableName(const Value& v) {
  if (v.type() == ValueType::kPrimitive) {
    return static_cast<const eval_internal::Primitive*>(v.object())->name;
  }
  return static_cast<const eval_internal::Function*>(v.object())->lambda->name;
}

// Copies a value into a Builder document (callables become the string
// "#<function name>", since they have no sx text). Iterative, like the
// canonical writer, so any nesting depth prints. Charges `budget` (if any) a
// step per node and the bytes the document takes before each is added;
// false when it runs out.
bool ToNode(Builder& b, const Value& root, Budget* budget, Node* result) {
  struct Pending {
    const Value* list;
    std::vector<Node> items;  // converted so far
  };
  auto charge = [budget](const Value& v) {
    if (budget == nullptr) return true;
    size_t text = v.is_string() || v.type() == ValueType::kBytes || v.is_html() ? v.str().size()
                  : v.is_symbol() || v.is_keyword()            ? v.name().size()
                                                                : 0;
    return budget->Charge(1 + text / 64) && budget->ChargeBytes(sizeof(Node) + text);
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
  if (!charge(root)) return false;
  if (!IsSeq(root)) {
    *result = atom(root);
    return true;
  }
  std::vector<Pending> stack;
  stack.push_back({&root, {}});
  for (;;) {
    Pending& top = stack.back();
    if (top.items.size() == top.list->size()) {
      Node done = top.list->is_list() ? b.List(top.items) : b.Dict(top.items);
      stack.pop_back();
      if (stack.empty()) {
        *result = done;
        return true;
      }
      stack.back().items.push_back(done);
      continue;
    }
    const Value& next = (*top.list)[top.items.size()];
    if (!charge(next)) return false;
    if (IsSeq(next)) {
      stack.push_back({&next, {}});
    } else {
      top.items.push_back(atom(next));
    }
  }
}

// Appends to a string, charging each chunk's bytes before it is appended.
class ChargedStringSink final : public ByteSink {
 public:
  ChargedStringSink(std::string* out, Budget* budget) : out_(out), budget_(budget) {}
  bool Write(std::string_view chunk) override {
    if (budget_ != nullptr && !(budget_->ChargeBytes(chunk.size()) &&
                                budget_->Charge(chunk.size() / 64))) {
      return false;
    }
    out_->append(chunk);
    return true;
  }

 private:
  std::string* out_;
  Budget* budget_;
};

std::string Print(const Value& v, Budget* budget) {
  if (v.is_callable()) return absl::StrCat("#<", AV(ValueTypeName(v.type())), " ", CallableName(v), ">");
  Builder b;
  Node n;
  if (!ToNode(b, v, budget, &n)) return "";
  Result<Document> doc = b.Finish({n});
  if (!doc.ok()) return absl::StrCat("#<unprintable: ", doc.error().message, ">");
  std::string text;
  ChargedStringSink sink(&text, budget);
  Error e = WriteCanonical(doc->roots()[0], sink);
  if (budget != nullptr && budget->exhausted()) return "";
  if (e.code != ErrorCode::kOk) return absl::StrCat("#<unprintable: ", e.message, ">");
  return text;
}

}  // namespace

std::string ToText(const Value& v) { return Print(v, nullptr); }
std::string ToText(const Value& v, Budget& budget) { return Print(v, &budget); }

}  // namespace sexp
