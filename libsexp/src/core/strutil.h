// Internal: bridges std::string_view to Debian's Abseil, which is built with
// its own absl::string_view type rather than aliasing std::string_view.
#ifndef SEXP_SRC_CORE_STRUTIL_H_
#define SEXP_SRC_CORE_STRUTIL_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace sexp::internal {

inline absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace sexp::internal

#endif  // SEXP_SRC_CORE_STRUTIL_H_
