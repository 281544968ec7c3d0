// Internal: the HTML renderer's output buffer and its data renderer, shared
// by the public API (render.cc) and the streaming Render methods of compiled
// code (libsexp/src/eval/compile.cc). Rules: spec/rendering.md.
#ifndef SEXP_SRC_HTML_RENDER_H_
#define SEXP_SRC_HTML_RENDER_H_

#include <string>
#include <string_view>
#include <vector>

#include "sexp/eval.h"
#include "sexp/html.h"

namespace sexp::eval_internal {
class Machine;
}

namespace sexp::html_internal {

// Bytes on their way to the sink: appended to one buffer that is handed over
// whenever it passes the chunk size, so rendering allocates nothing per node.
class HtmlOut {
 public:
  HtmlOut(HtmlSink& sink, size_t chunk_bytes);
  void Append(std::string_view s) {
    buf_.append(s.data(), s.size());
    if (buf_.size() >= chunk_) Flush();
  }
  void Append(char c) {
    buf_.push_back(c);
    if (buf_.size() >= chunk_) Flush();
  }
  // Text with & < > " ' as entities.
  void AppendEscaped(std::string_view s);
  // Hands what is buffered to the sink; false once the sink refused.
  bool Flush();
  bool failed() const { return failed_; }
  size_t written() const { return written_ + buf_.size(); }

 private:
  HtmlSink& sink_;
  size_t chunk_;
  std::string buf_;
  size_t written_ = 0;
  bool failed_ = false;
};

// Renders values (data) as HTML and holds the rules every path shares:
// elements, attributes, URL policy, raw text. Errors are `render` faults
// positioned at the machine's current call site when there is a machine.
class Renderer {
 public:
  Renderer(HtmlOut& out, const RenderOptions& options, eval_internal::Machine* machine)
      : out_(out), options_(options), m_(machine) {}

  // Any value: text, markup, an element, a list of nodes. Iterative, so data
  // nested arbitrarily deep renders without deepening the C++ stack.
  void Render(const Value& v);

  // The pieces the streaming path uses with tags it knows at compile time.
  // ` name="value"` (or ` name`, or nothing for nil/false) — `name` valid.
  void Attribute(std::string_view tag, std::string_view name, const Value& v);
  // A child of a script/style element: text that cannot close it.
  void RawTextChild(std::string_view tag, const Value& v);
  // Checks a void element's child (only nothing-rendering values allowed).
  void VoidChild(std::string_view tag, const Value& v);
  void CheckSink();

  [[noreturn]] void Fail(std::string message);
  HtmlOut& out() { return out_; }

 private:
  // Writes `<tag attrs>` for the element list `el` (attributes anywhere in
  // it), and `</tag>`.
  void OpenTag(const Value& el, std::string_view tag);
  void CloseTag(std::string_view tag);
  // `k:v;k:v` of a :style dict, checked.
  void StyleValue(const Value& dict);
  // nil/booleans (nothing), numbers, raw! markup: written the same in every
  // context; false for anything else.
  bool Scalar(const Value& v);
  void ClassValue(const Value& v, bool* first, int depth);
  void AppendNumber(const Value& v);

  HtmlOut& out_;
  const RenderOptions& options_;
  eval_internal::Machine* m_;
};

}  // namespace sexp::html_internal

#endif  // SEXP_SRC_HTML_RENDER_H_
