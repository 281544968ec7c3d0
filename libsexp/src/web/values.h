// Internal: read sx (a service's result, a request's user) turned into values
// of the running evaluation, made through its CallContext so that they are
// charged to its limits.
#ifndef SEXP_SRC_WEB_VALUES_H_
#define SEXP_SRC_WEB_VALUES_H_

#include <vector>

#include "sexp/core/ast.h"
#include "sexp/eval/eval.h"

namespace sexp::web_internal {

inline Value ToValue(CallContext& c, const Node& n) {
  switch (n.kind()) {
    case Kind::kNil: return Value();
    case Kind::kBool: return Value::Bool(n.as_bool());
    case Kind::kInt: return Value::Int(n.as_int());
    case Kind::kFloat: return Value::Float(n.as_float());
    case Kind::kString: return c.MakeString(n.str());
    case Kind::kBytes: return c.MakeString(n.bytes());
    case Kind::kSymbol: return c.Symbol(n.name());
    case Kind::kKeyword: return c.Keyword(n.name());
    case Kind::kList:
    case Kind::kDict: {
      // Recursive, as deep as the reader allows (max_depth, 1024 by default).
      std::vector<Value> items;
      items.reserve(n.size());
      for (const Node& item : n.items()) items.push_back(ToValue(c, item));
      return n.is_dict() ? c.MakeDict(items) : c.MakeList(items);
    }
  }
  return Value();
}

}  // namespace sexp::web_internal

#endif  // SEXP_SRC_WEB_VALUES_H_
