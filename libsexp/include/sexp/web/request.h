// sexp/web/request.h — what a page may ask about the request it answers
// (spec/routes.md, "The request forms"):
//
//   (current-user)    the signed-in user as data — nil when there is none
//   (htmx-request?)   true when the request carries `HX-Request: true`
//
// A host defines both on an Environment once, then evaluates each page
// inside a RequestScope on the thread that evaluates it:
//
//   sexp::DefineRequestForms(env);
//   sexp::RequestContext ctx;
//   ctx.user = "{:id 7 :name \"Ann\"}";           // sx text; "" for nobody
//   ctx.htmx = sexp::IsHtmxRequest(header_value);  // the HX-Request header
//   {
//     sexp::RequestScope scope(ctx);
//     sexp::EvalResult page = sexp::Resolve(env, handler, fetchers);
//   }
//
// Outside a scope the forms answer nil and false. Threads: a scope belongs
// to the thread that made it and ends with its block; scopes nest (the
// innermost answers). The context must outlive the scope. (Python:
// sexp.quart.install answers them from the Quart request.)
#ifndef SEXP_WEB_REQUEST_H_
#define SEXP_WEB_REQUEST_H_

#include <string>
#include <string_view>

#include "sexp/eval/eval.h"

namespace sexp {

struct RequestContext {
  // The current user as sx text (usually a dict), read when a page asks;
  // empty: nil. Text that does not read is an `io` error for the page.
  std::string user;
  // The request carries `HX-Request: true` (IsHtmxRequest).
  bool htmx = false;
  // Set when the page asked (htmx-request?): its answer then depends on
  // the HX-Request header, which the host adds to Vary.
  mutable bool htmx_read = false;
};

// Whether an HX-Request header value says the request came from htmx
// ("true", in any case, around spaces).
bool IsHtmxRequest(std::string_view hx_request_header);

// Defines the primitives `current-user` and `htmx-request?` on `env` (a
// name `env` binds already — a service, say — is left as it is).
void DefineRequestForms(Environment& env);

// Makes `context` the one the request forms answer from on this thread
// while the scope lives.
class RequestScope {
 public:
  explicit RequestScope(const RequestContext& context);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;

 private:
  const RequestContext* saved_;
};

}  // namespace sexp

#endif  // SEXP_WEB_REQUEST_H_
