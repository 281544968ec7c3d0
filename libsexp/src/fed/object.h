// Internal: reading ActivityStreams objects as sexp::ap writes them —
// list-form objects (Type :k v … children) and dicts {:k v …} — for the
// fed area's parts (inbox, follows, actors, relay messages).
#ifndef SEXP_SRC_FED_OBJECT_H_
#define SEXP_SRC_FED_OBJECT_H_

#include <optional>
#include <string>
#include <string_view>

#include "sexp/core/ast.h"

namespace sexp::fed_internal {

// `:name`'s value in a list-form object or a dict; null when absent (or
// `object` is neither).
inline const Node* Property(const Node& object, std::string_view name) {
  if (object.is_dict()) {
    for (size_t i = 0; i + 1 < object.size(); i += 2) {
      if (object[i].is_keyword() && object[i].name() == name) return &object[i + 1];
    }
    return nullptr;
  }
  if (!object.is_list()) return nullptr;
  for (size_t i = 1; i + 1 < object.size(); ++i) {
    if (!object[i].is_keyword()) continue;  // a positional child
    if (object[i].name() == name) return &object[i + 1];
    ++i;  // the pair's value
  }
  return nullptr;
}

// An id: the string itself, or an embedded object's :id.
inline std::optional<std::string> IdOf(const Node* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return std::string(v->str());
  if (v->is_list() || v->is_dict()) return IdOf(Property(*v, "id"));
  return std::nullopt;
}

// A string property's text ("" when absent or not a string).
inline std::string StringProperty(const Node& object, std::string_view name) {
  const Node* v = Property(object, name);
  return v != nullptr && v->is_string() ? std::string(v->str()) : std::string();
}

}  // namespace sexp::fed_internal

#endif  // SEXP_SRC_FED_OBJECT_H_
