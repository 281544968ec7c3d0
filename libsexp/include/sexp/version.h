// sexp/version.h — library version and the canonical form version it writes.
#ifndef SEXP_VERSION_H_
#define SEXP_VERSION_H_

#define SEXP_VERSION_MAJOR 0
#define SEXP_VERSION_MINOR 1
#define SEXP_VERSION_PATCH 0
#define SEXP_VERSION_STRING "0.1.0"

namespace sexp {
// Canonical form version (spec/canonical.md). A change to the canonical form
// changes every hash and must bump this.
inline constexpr int kCanonicalFormVersion = 1;
}  // namespace sexp

#endif  // SEXP_VERSION_H_
