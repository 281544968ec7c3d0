// Internal: the parts of the ActivityStreams mapping both directions share
// (spec/activitypub.md), so that reading and writing cannot disagree.
#ifndef SEXP_SRC_AP_NAMES_H_
#define SEXP_SRC_AP_NAMES_H_

#include <string_view>

#include "sexp/core/ast.h"

namespace sexp::ap_internal {

// A JSON property name written in kebab case (else in the `=` spelling).
bool IsPlainName(std::string_view name);
// A type (or symbol) name that makes a list-form object: it starts with an
// ASCII capital or holds a ':' (Note, toot:Emoji). Content elements never
// do, which is what tells an object child from a content child.
bool IsTypeName(std::string_view name);

// Properties whose values are addresses (where Public aliases are read).
inline bool IsAddressProperty(std::string_view json_name) {
  return json_name == "to" || json_name == "cc" || json_name == "bto" || json_name == "bcc" ||
         json_name == "audience";
}
// Language maps: JSON objects whose keys are language tags, kept verbatim.
inline bool IsLanguageMap(std::string_view json_name) {
  return json_name == "contentMap" || json_name == "nameMap" || json_name == "summaryMap";
}
inline bool IsPublicAlias(std::string_view iri) {
  return iri == "https://www.w3.org/ns/activitystreams#Public" || iri == "as:Public" ||
         iri == "Public";
}

// What a positional child of a list-form object stands for.
enum class ChildRole { kContent, kAttachment, kTag, kObject, kInvalid };
inline ChildRole RoleOf(const Node& child) {
  if (child.is_string()) return ChildRole::kContent;
  if (!child.is_list() || child.size() == 0 || !child[0].is_symbol()) return ChildRole::kInvalid;
  std::string_view head = child[0].name();
  if (head == "attachment") return ChildRole::kAttachment;
  if (head == "tag") return ChildRole::kTag;
  return IsTypeName(head) ? ChildRole::kObject : ChildRole::kContent;
}

}  // namespace sexp::ap_internal

#endif  // SEXP_SRC_AP_NAMES_H_
