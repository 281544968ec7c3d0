// The request forms (sexp/web/request.h): (current-user) and (htmx-request?)
// answer from the RequestContext in scope on the evaluating thread.
#include "sexp/web/request.h"

#include <thread>

#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

std::string Text(const EvalResult& r) {
  return r.ok() ? ToText(r.value()) : "error " + std::string(EvalErrorCodeName(r.error().code));
}

TEST(RequestForms, AnswerFromTheContextInScope) {
  Environment env(kGroupPure | kGroupIo);
  DefineRequestForms(env);
  DefineService(env, "query");
  EvalResult page = env.Eval(
      "(fn () (let ((user (current-user))"
      "             (cart (when user (query cart cart-summary :user_id (:slot user :id)))))"
      "         (if (htmx-request?) (list :oob (:slot user :name)) (list :page cart))))");
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  Fetcher cart = [](const IoBatch& batch, BatchDone done) {
    std::vector<absl::StatusOr<std::string>> out;
    for (const IoRequest& q : batch.requests) out.push_back("{:count " + ToText(q.args[2][1]) + "}");
    done(out);
  };
  // No scope: nobody, not htmx.
  EXPECT_EQ(Text(Resolve(env, page.value(), {{"query", cart}})), "(:page nil)");
  RequestContext ann;
  ann.user = "{:id 7 :name \"Ann\"}";
  {
    RequestScope scope(ann);
    EXPECT_EQ(Text(Resolve(env, page.value(), {{"query", cart}})), "(:page {:count 7})");
    RequestContext htmx = ann;
    htmx.htmx = IsHtmxRequest(" TRUE ");
    {
      RequestScope inner(htmx);  // the innermost answers
      EXPECT_EQ(Text(Resolve(env, page.value(), {{"query", cart}})), "(:oob \"Ann\")");
    }
    // Another thread has no scope of its own.
    std::string there;
    std::thread([&] { there = Text(env.Eval("(list (current-user) (htmx-request?))")); }).join();
    EXPECT_EQ(there, "(nil false)");
    EXPECT_EQ(Text(env.Eval("(:name (current-user))")), "\"Ann\"");
  }
  EXPECT_EQ(Text(env.Eval("(current-user)")), "nil");
  RequestContext broken;
  broken.user = "{:id";
  RequestScope scope(broken);
  EXPECT_EQ(Text(env.Eval("(current-user)")), "error io");
  EXPECT_FALSE(IsHtmxRequest("false"));
  EXPECT_FALSE(IsHtmxRequest(""));
}

TEST(RequestForms, ANameTheEnvironmentBindsIsLeftAlone) {
  Environment env(kGroupPure | kGroupIo);
  DefineService(env, "current-user");
  DefineRequestForms(env);
  EvalResult r = env.Eval("(current-user)");  // still the service: outside a resolution
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, EvalErrorCode::kIo);
  EXPECT_EQ(Text(env.Eval("(htmx-request?)")), "false");
}

}  // namespace
}  // namespace sexp
