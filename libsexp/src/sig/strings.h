// Internal: absl::StrCat / StrAppend over std::string_view. Debian's Abseil
// has its own absl::string_view, which AlphaNum does not take from a
// std::string_view, so arguments pass through Arg() first.
#ifndef SEXP_SRC_SIG_STRINGS_H_
#define SEXP_SRC_SIG_STRINGS_H_

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace sexp::sig::str {

inline absl::string_view Arg(std::string_view s) { return {s.data(), s.size()}; }
template <class T>
const T& Arg(const T& t) {
  return t;
}

template <class... T>
std::string Cat(const T&... parts) {
  return absl::StrCat(Arg(parts)...);
}
template <class... T>
void Append(std::string* out, const T&... parts) {
  absl::StrAppend(out, Arg(parts)...);
}

}  // namespace sexp::sig::str

#endif  // SEXP_SRC_SIG_STRINGS_H_
