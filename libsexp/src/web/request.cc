// The request forms (sexp/web/request.h): (current-user) and (htmx-request?)
// answered from the RequestContext in scope on the evaluating thread.
#include "sexp/web/request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/strutil.h"
#include "sexp/core/reader.h"
#include "web/values.h"

namespace sexp {
namespace {

thread_local const RequestContext* current = nullptr;

}  // namespace

bool IsHtmxRequest(std::string_view value) {
  return absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(internal::AV(value)), "true");
}

RequestScope::RequestScope(const RequestContext& context) : saved_(current) {
  current = &context;
}
RequestScope::~RequestScope() { current = saved_; }

void DefineRequestForms(Environment& env) {
  if (env.Lookup("htmx-request?") == nullptr) {
    env.DefinePrimitive(
        "htmx-request?", 0, 0,
        [](CallContext&, absl::Span<const Value>) {
          if (current != nullptr) current->htmx_read = true;
          return Value::Bool(current != nullptr && current->htmx);
        },
        kGroupCore);
  }
  if (env.Lookup("current-user") == nullptr) {
    env.DefinePrimitive(
        "current-user", 0, 0,
        [](CallContext& c, absl::Span<const Value>) -> Value {
          if (current == nullptr || current->user.empty()) return Value();
          c.Charge(current->user.size() / 64);  // reading it
          Result<Document> user = ReadOne(current->user);
          if (!user.ok()) {
            c.Fail(EvalErrorCode::kIo,
                   absl::StrCat("the request's user is not sx: ", user.error().ToString()));
          }
          return web_internal::ToValue(c, user->roots()[0]);
        },
        kGroupCore);
  }
}

}  // namespace sexp
