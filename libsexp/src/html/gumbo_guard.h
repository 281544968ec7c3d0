// Internal: one gumbo parse that cannot end the process (used by reader.cc).
//
// gumbo 0.10.1 leaves a parse in three ways besides returning:
//  - it does not check what its allocator returns, so a refused allocation
//    or a passed deadline must leave from inside the allocator;
//  - Debian builds it with assert() enabled, and some hostile inputs fail
//    one of its assertions (tests/html/gumbo_guard_test.cc has one), which
//    calls abort();
//  - gumbo_destroy_output frees its tree recursively (a stack overflow on a
//    100000-deep tree), so the tree must be freed without it.
// GuardedParse gives gumbo an arena that never frees and leaves the parse
// with longjmp on all three: from the allocator, and from a SIGABRT handler
// while this thread is inside gumbo. POSIX lets a SIGABRT handler end
// abort() by not returning, and glibc's abort() releases its lock before it
// raises for that reason. Only gumbo's C frames lie between the setjmp and
// the longjmp; nothing of gumbo's outlives the parse (it has no global
// state); everything it allocated goes with the arena.
//
// The handler is installed once, at the first parse, and passes every
// SIGABRT that does not come from inside a parse on to the disposition it
// replaced (a handler is called, the default is restored and the signal
// raised again), so abort() elsewhere in the process behaves as before. A
// handler installed later over it (Python's faulthandler.enable() after the
// first parse, say) takes precedence: gumbo's assertions then end the
// process again. glibc's assert() still prints its message to stderr first.
//
// Threads: any number of threads may parse at once; each parse recovers
// only its own thread's abort (raise() signals the calling thread).
#ifndef SEXP_SRC_HTML_GUMBO_GUARD_H_
#define SEXP_SRC_HTML_GUMBO_GUARD_H_

#include <gumbo.h>

#include <chrono>
#include <csetjmp>
#include <cstdint>
#include <string_view>

#include "sexp/core/arena.h"
#include "sexp/core/error.h"

namespace sexp::html_internal {

// The memory and limits of one parse. The arena owns gumbo's tree and
// anything else allocated from it (reader.cc puts its rewritten input
// there), so a GumboOutput from GuardedParse lives as long as this does.
struct GumboMemory {
  explicit GumboMemory(const Allocator& upstream) : arena(upstream) {}
  Arena arena;
  // Why the last GuardedParse returned nullptr: kOutOfMemory, kTimeout or
  // kParserFailure.
  ErrorCode failure = ErrorCode::kOk;
  bool has_deadline = false;
  std::chrono::steady_clock::time_point deadline;

  // Used by GuardedParse only.
  std::jmp_buf* escape = nullptr;
  uint32_t calls = 0;
};

// gumbo_parse_with_options on `html` with gumbo's default options (its
// error list off) and `memory` as its allocator; nullptr when the parse was
// abandoned (memory->failure says why).
GumboOutput* GuardedParse(std::string_view html, GumboMemory* memory);

}  // namespace sexp::html_internal

#endif  // SEXP_SRC_HTML_GUMBO_GUARD_H_
