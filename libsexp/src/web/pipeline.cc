// analyze → plan → execute → cache (sexp/web/pipeline.h).
#include "sexp/web/pipeline.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sexp/html/render.h"
#include "sexp/core/writer.h"
#include "core/strutil.h"

namespace sexp {
namespace {

using internal::AV;

class HtmlExecutor final : public Executor {
 public:
  std::string_view content_type() const override { return "text/html; charset=utf-8"; }
  absl::Status Write(const Value& value, std::string* out) const override {
    StringSink sink(out);
    EvalResult r = RenderData(value, sink);
    return r.ok() ? absl::OkStatus() : r.error().ToStatus();
  }
};

void JsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(static_cast<char>(c));  // UTF-8 passes through
        }
    }
  }
  out->push_back('"');
}

class JsonExecutor final : public Executor {
 public:
  std::string_view content_type() const override { return "application/json"; }
  absl::Status Write(const Value& value, std::string* out) const override {
    // Explicit stack: values built by code may nest deeper than any C++
    // stack allows (the evaluator's own printers do the same).
    struct Frame {
      const Value* items;
      size_t size, next;
      bool dict;
    };
    std::vector<Frame> stack;
    const Value* v = &value;
    for (;;) {
      if (v != nullptr) {
        switch (v->type()) {
          case ValueType::kNil: *out += "null"; break;
          case ValueType::kBool: *out += v->as_bool() ? "true" : "false"; break;
          case ValueType::kInt: absl::StrAppend(out, v->as_int()); break;
          case ValueType::kFloat: {
            if (!std::isfinite(v->as_float())) {
              return absl::InvalidArgumentError("json: a number that is not finite");
            }
            *out += ToText(*v);  // shortest round-trip text, valid JSON
            break;
          }
          case ValueType::kString:
          case ValueType::kBytes:
          case ValueType::kHtml: JsonString(v->str(), out); break;
          case ValueType::kSymbol: JsonString(v->name(), out); break;
          case ValueType::kKeyword: JsonString(absl::StrCat(":", AV(v->name())), out); break;
          case ValueType::kList:
          case ValueType::kDict: {
            bool dict = v->is_dict();
            out->push_back(dict ? '{' : '[');
            stack.push_back({v->items().data(), v->size(), 0, dict});
            break;
          }
          default:
            return absl::InvalidArgumentError(
                absl::StrCat("json: cannot write ", ToText(*v), " (a callable)"));
        }
      }
      v = nullptr;
      if (stack.empty()) return absl::OkStatus();
      Frame& f = stack.back();
      if (f.next == f.size) {
        out->push_back(f.dict ? '}' : ']');
        stack.pop_back();
        if (stack.empty()) return absl::OkStatus();
        continue;
      }
      if (f.next != 0) out->push_back(f.dict && f.next % 2 == 1 ? ':' : ',');
      const Value& item = f.items[f.next++];
      if (f.dict && (f.next - 1) % 2 == 0) {  // a key: its name, without ':'
        JsonString(item.is_keyword() ? item.name() : item.str(), out);
        continue;
      }
      v = &item;
    }
  }
};

}  // namespace

std::unique_ptr<Executor> MakeHtmlExecutor() { return std::make_unique<HtmlExecutor>(); }
std::unique_ptr<Executor> MakeJsonExecutor() { return std::make_unique<JsonExecutor>(); }

Pipeline::Pipeline(Environment& env, TieredCache* cache) : env_(env), cache_(cache) {
  Register("html", MakeHtmlExecutor());
  Register("json", MakeJsonExecutor());
}

Pipeline::~Pipeline() = default;

void Pipeline::Register(std::string type, std::unique_ptr<Executor> executor) {
  executors_[std::move(type)] = std::move(executor);
}

const Executor* Pipeline::Find(std::string_view type) const {
  auto it = executors_.find(AV(type));
  return it == executors_.end() ? nullptr : it->second.get();
}

absl::StatusOr<Plan> Pipeline::Analyze(const Node& request) const {
  if (!request.is_list() || request.size() != 2 || !request[0].is_symbol()) {
    return absl::InvalidArgumentError("a request is (TYPE expr), e.g. (html (~page :id 3))");
  }
  Plan plan;
  plan.executor = std::string(request[0].name());
  if (Find(plan.executor) == nullptr) {
    return absl::NotFoundError(absl::StrCat("no executor for '", plan.executor, "'"));
  }
  absl::StatusOr<Digest> key = SubtreeKey(request, {});
  if (!key.ok()) return key.status();
  plan.key = *key;
  Result<std::string> expr = Canonical(request[1]);
  if (!expr.ok()) return expr.error().ToStatus();
  plan.expr = std::move(*expr);
  if (cache_ != nullptr) plan.cached = cache_->Get(plan.key);
  return plan;
}

absl::StatusOr<std::string> Pipeline::Execute(
    const Plan& plan, const absl::flat_hash_map<std::string, Fetcher>& services,
    const EvalLimits& limits) {
  if (plan.cached) return *plan.cached;
  const Executor* executor = Find(plan.executor);
  if (executor == nullptr) {
    return absl::NotFoundError(absl::StrCat("no executor for '", plan.executor, "'"));
  }
  EvalResult page = env_.Eval(absl::StrCat("(fn () ", plan.expr, ")"), "<request>", limits);
  if (!page.ok()) return page.error().ToStatus();
  Arena values;  // the request's: nothing it makes stays in the environment
  EvalResult value = Resolve(env_, page.value(), services, limits, nullptr,
                             Resolution::kDefaultMaxRounds, &values);
  if (!value.ok()) return value.error().ToStatus();
  std::string out;
  if (absl::Status s = executor->Write(value.value(), &out); !s.ok()) return s;
  if (cache_ != nullptr) cache_->Put(plan.key, out);
  return out;
}

}  // namespace sexp
