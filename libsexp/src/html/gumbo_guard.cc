// One gumbo parse that cannot end the process (gumbo_guard.h says why and how).
#include "html/gumbo_guard.h"

#include <signal.h>

#include <atomic>
#include <mutex>

namespace sexp::html_internal {
namespace {

// The parse this thread is inside, or nullptr. initial-exec: the SIGABRT
// handler reads it, and a dynamic TLS access there could call malloc, which
// may be the very code that is aborting (glibc's heap checks abort with
// their lock held).
__attribute__((tls_model("initial-exec"))) thread_local GumboMemory* tls_parse = nullptr;

// The SIGABRT disposition the handler replaced; written once, by the
// sigaction call that installs the handler.
struct sigaction g_replaced;

void OnAbort(int signo, siginfo_t* info, void* context) {
  if (GumboMemory* memory = tls_parse; memory != nullptr) {
    tls_parse = nullptr;
    memory->failure = ErrorCode::kParserFailure;
    std::longjmp(*memory->escape, 1);
  }
  // Not from a parse: do what would have been done without us.
  if ((g_replaced.sa_flags & SA_SIGINFO) != 0) {
    g_replaced.sa_sigaction(signo, info, context);
  } else if (g_replaced.sa_handler == SIG_DFL) {
    // Raised again with the default restored, it is delivered (and ends
    // the process) as soon as this handler returns: SIGABRT is blocked
    // while it runs.
    sigaction(SIGABRT, &g_replaced, nullptr);
    raise(SIGABRT);
  } else if (g_replaced.sa_handler != SIG_IGN) {
    g_replaced.sa_handler(signo);
  }
}

void InstallAbortHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction ours = {};
    ours.sa_sigaction = &OnAbort;
    ours.sa_flags = SA_SIGINFO;
    sigemptyset(&ours.sa_mask);
    sigaction(SIGABRT, &ours, &g_replaced);
  });
}

void* GumboAllocate(void* context, size_t size) {
  auto* memory = static_cast<GumboMemory*>(context);
  if (memory->has_deadline && (++memory->calls & 255) == 0 &&
      std::chrono::steady_clock::now() > memory->deadline) {
    memory->failure = ErrorCode::kTimeout;
    std::longjmp(*memory->escape, 1);
  }
  void* p = memory->arena.Allocate(size);
  if (p == nullptr) {
    memory->failure = ErrorCode::kOutOfMemory;
    std::longjmp(*memory->escape, 1);
  }
  return p;
}

void GumboDeallocate(void*, void*) {}  // the arena frees everything at once

}  // namespace

GumboOutput* GuardedParse(std::string_view html, GumboMemory* memory) {
  InstallAbortHandler();
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = &GumboAllocate;
  options.deallocator = &GumboDeallocate;
  options.userdata = memory;
  options.max_errors = 0;  // gumbo's error list is not used
  memory->failure = ErrorCode::kOk;
  memory->calls = 0;
  std::jmp_buf escape;
  memory->escape = &escape;
  if (setjmp(escape) != 0) {
    tls_parse = nullptr;
    if (memory->failure == ErrorCode::kParserFailure) {
      // The handler was left by longjmp, which (as setjmp saved no signal
      // mask) keeps SIGABRT blocked as it was while the handler ran.
      sigset_t abort_only;
      sigemptyset(&abort_only);
      sigaddset(&abort_only, SIGABRT);
      pthread_sigmask(SIG_UNBLOCK, &abort_only, nullptr);
    }
    return nullptr;
  }
  tls_parse = memory;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  GumboOutput* out = gumbo_parse_with_options(&options, html.data(), html.size());
  std::atomic_signal_fence(std::memory_order_seq_cst);
  tls_parse = nullptr;
  return out;
}

}  // namespace sexp::html_internal
