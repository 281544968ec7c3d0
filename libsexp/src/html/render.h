// Internal: the HTML renderer's output buffer and its data renderer, shared
// by the public API (render.cc) and the streaming Render methods of compiled
// code (stream.cc). Rules: spec/rendering.md.
#ifndef SEXP_SRC_HTML_RENDER_H_
#define SEXP_SRC_HTML_RENDER_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "core/scan.h"
#include "eval/machine.h"
#include "html/elements.h"
#include "sexp/eval/eval.h"
#include "sexp/html/render.h"

namespace sexp::html_internal {

// Writes `s` escaped at `out` (room for 6 bytes per input byte plus 32);
// returns the new end. Texts of 32 bytes and more go to the run-time chosen
// kernel (AVX2 where the CPU has it), shorter ones are done inline.
inline char* EscapeInto(char* out, const char* s, size_t n) {
  if (n >= 32) return internal::ActiveScanKernel().escape_html(out, s, n);
  return internal::EscapeHtmlInline(out, s, n);
}

// Writes u (below 10000) in decimal at `at`; returns the new end.
inline char* WriteBelow10000(char* at, uint32_t u) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  if (u < 10) {
    *at = static_cast<char>('0' + u);
    return at + 1;
  }
  if (u < 100) {
    std::memcpy(at, kPairs + 2 * u, 2);
    return at + 2;
  }
  if (u < 1000) {
    *at = static_cast<char>('0' + u / 100);
    std::memcpy(at + 1, kPairs + 2 * (u % 100), 2);
    return at + 3;
  }
  std::memcpy(at, kPairs + 2 * (u / 100), 2);
  std::memcpy(at + 2, kPairs + 2 * (u % 100), 2);
  return at + 4;
}

// Bytes on their way to the sink: written into one buffer that is handed
// over whenever it passes the chunk size, so rendering allocates nothing per
// node (the buffer grows only for a single piece bigger than a chunk). For an
// StringSink the buffer is the sink's string itself, grown in steps and
// cut to size by Finish — or back to what it held, if Finish is never called
// (the render failed).
class HtmlOut {
 public:
  HtmlOut(ByteSink& sink, size_t chunk_bytes);
  ~HtmlOut();
  HtmlOut(const HtmlOut&) = delete;
  HtmlOut& operator=(const HtmlOut&) = delete;
  // (Each writer works on a local copy of cur_: stores through a char* may
  // alias the member, which would be reloaded after every one.)
  void Append(std::string_view s) {
    if (s.size() > static_cast<size_t>(end_ - cur_)) Reserve(s.size());
    char* at = cur_;
    std::memcpy(at, s.data(), s.size());
    at += s.size();
    cur_ = at;
    if (at >= flush_at_) Flush();
  }
  void Append(char c) {
    if (cur_ == end_) Reserve(1);
    *cur_++ = c;
    if (cur_ >= flush_at_) Flush();
  }
  // A writer that keeps the cursor in a register (the plan loop: a cursor
  // stored and reloaded through memory around every write is a chain of
  // store-to-load forwarding) takes it with cursor(), writes through the
  // *At functions, which return the new cursor, and hands it back with
  // set_cursor before anything else writes. The *At functions flush or grow
  // only when the room runs out, so chunks may pass chunk_bytes by up to
  // the buffer's slack.
  char* cursor() const { return cur_; }
  void set_cursor(char* at) {
    cur_ = at;
    if (at >= flush_at_) Flush();
  }
  // Bytes followed by at least kPad more readable bytes (a plan's static
  // bytes): short runs are copied as two 16-byte moves.
  static constexpr size_t kPad = 32;
  char* PaddedAt(char* at, const char* s, size_t n) {
    if (n <= kPad && n <= static_cast<size_t>(end_ - at)) {
      std::memcpy(at, s, 16);  // the buffer has kPad bytes past end_
      std::memcpy(at + 16, s + 16, 16);
      return at + n;
    }
    set_cursor(at);
    Append(std::string_view(s, n));
    return cur_;
  }
  // Text with & < > " ' as entities.
  char* EscapedAt(char* at, std::string_view s) {
    if (s.size() <= kEscapePiece && static_cast<size_t>(end_ - at) >= 6 * s.size() + 16) {
      return EscapeInto(at, s.data(), s.size());
    }
    set_cursor(at);
    AppendEscapedLong(s);
    return cur_;
  }
  // Decimal digits: below 10000 (ids, counts) from a table of digit pairs,
  // the rest through absl.
  char* IntAt(char* at, int64_t i) {
    if (end_ - at < 24) {
      set_cursor(at);
      Reserve(24);
      at = cur_;
    }
    uint64_t u = static_cast<uint64_t>(i);
    if (i < 0) {
      *at++ = '-';
      u = 0 - u;
    }
    if (u < 10000) return WriteBelow10000(at, static_cast<uint32_t>(u));
    return absl::numbers_internal::FastIntToBuffer(u, at);
  }
  void AppendInt(int64_t i) { set_cursor(IntAt(cur_, i)); }
  void AppendEscaped(std::string_view s) { set_cursor(EscapedAt(cur_, s)); }
  // Hands what is buffered to the sink; false once the sink refused.
  bool Flush();
  // The render succeeded: hands over the rest (a string sink keeps what was
  // written); false if the sink refused.
  bool Finish();
  bool failed() const { return failed_; }
  // Output is charged to `budget` (steps per 64 bytes; for a string sink,
  // whose string holds it all, the bytes too) before it is written: when the
  // budget runs out the output fails as a refused sink would, and the
  // renderer reports the limit (Renderer::CheckSink).
  void set_budget(Budget* budget) { budget_ = budget; }
  // For `try` (Renderer::Hold): output from now on stays here, not handed
  // to the sink, until the matching Keep; Drop instead takes back what was
  // written since. Holds nest.
  void Hold() { holds_.push_back(static_cast<size_t>(cur_ - start_)); }
  void Keep() {
    holds_.pop_back();
    if (holds_.empty() && cur_ >= flush_at_) Flush();
  }
  void Drop() {
    cur_ = start_ + holds_.back();
    Keep();
  }
  Budget* budget() const { return budget_; }
  size_t written() const { return written_ + static_cast<size_t>(cur_ - start_); }

 private:
  // Makes room for `n` more bytes: flushes, and grows if that is not enough.
  void Reserve(size_t n);
  // AppendEscaped in pieces, so the room asked for stays bounded.
  static constexpr size_t kEscapePiece = 4096;
  void AppendEscapedLong(std::string_view s);

  // Charges output to the budget; false (and failed) when it runs out.
  // `held`: the bytes stay in memory (a string sink's string).
  bool ChargeOutput(size_t bytes, bool held);
  // A string sink: room for `n` more bytes in the string.
  void GrowString(size_t n);
  static constexpr size_t kStringStep = 4096;

  ByteSink& sink_;
  size_t chunk_;
  std::unique_ptr<char[]> buf_;
  std::string* string_ = nullptr;  // a string sink's string, written directly
  size_t string_base_ = 0;         // its size before the render
  bool finished_ = false;
  char* start_;     // where the unflushed bytes start
  char* cur_;
  char* end_;       // kPad writable bytes follow
  char* flush_at_;  // start_ + chunk_ (or end_)
  size_t written_ = 0;
  bool failed_ = false;
  Budget* budget_ = nullptr;
  std::vector<size_t> holds_;  // where each `try` holding output began
};

// Renders values (data) as HTML and holds the rules every path shares:
// elements, attributes, URL policy, raw text. Errors are `render` faults
// positioned at the machine's current call site when there is a machine.
// It is the Emitter that compiled code streams into (eval/machine.h): a
// value emitted is rendered (Node), a piece of a (str …) written escaped
// (Display); html elements recognise it (Of) and write their plans to it.
class Renderer final : public eval_internal::Emitter {
 public:
  // Charges `machine`'s budget, or `budget` when there is no machine (data
  // rendered outside an evaluation); neither: uncharged (precomputed plans).
  Renderer(HtmlOut& out, const RenderOptions& options, eval_internal::Machine* machine,
           Budget* budget = nullptr)
      : Emitter(&kKind), out_(out), options_(options), m_(machine),
        budget_(machine != nullptr ? &machine->budget() : budget), outer_budget_(out.budget()) {
    out_.set_budget(budget_);
    if (m_ != nullptr) m_->set_markup_context(MarkupTag(context_));
  }
  // The output outlives the renderer (its last chunk is flushed after the
  // evaluation, whose budget is gone by then): it goes back to the budget
  // it had.
  ~Renderer() override { out_.set_budget(outer_budget_); }
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // The Renderer `e` is, or nullptr when it is another kind of Emitter.
  static Renderer* Of(eval_internal::Emitter& e) {
    return e.kind() == &kKind ? static_cast<Renderer*>(&e) : nullptr;
  }
  void Emit(const Value& v) override { Node(v); }
  void EmitDisplay(const Value& v) override { Display(v); }
  // `try` in a page: the body's output is held back and dropped if it
  // fails, so one bad element does not fail the page.
  bool Hold() override {
    out_.Hold();
    return true;
  }
  void Keep() override { out_.Keep(); }
  void Drop() override { out_.Drop(); }

  // Any value: text, markup, an element, a list of nodes. Iterative, so data
  // nested arbitrarily deep renders without deepening the C++ stack.
  void Render(const Value& v);

  // One node: text and numbers directly, anything else through Render.
  void Node(const Value& v) {
    if (v.is_string()) {
      out_.AppendEscaped(v.str());
    } else if (!Scalar(v)) {
      Render(v);
    }
  }
  // The display text of a value (as `str` joins it), escaped: the pieces of
  // a (str …) written in place.
  void Display(const Value& v) {
    if (v.is_string()) {
      out_.AppendEscaped(v.str());
    } else if (v.is_int()) {
      out_.AppendInt(v.as_int());
    } else if (!v.is_nil()) {
      out_.AppendEscaped(Text(v));
    }
  }
  // Charges `steps` to the budget (a step per node rendered).
  void Charge(uint64_t steps) {
    if (m_ != nullptr) {
      m_->Charge(steps);
    } else if (budget_ != nullptr && !budget_->Charge(steps)) {
      FailBudget();
    }
  }
  // The sx text of a value, charged.
  std::string Text(const Value& v);
  [[noreturn]] void FailBudget();

  // The pieces the streaming path uses with tags it knows at compile time.
  // ` name="value"` (or ` name`, or nothing for nil/false) — `name` valid.
  void Attribute(std::string_view tag, std::string_view name, const Value& v);
  // The same for a name known to be valid; `url_attribute`: IsUrlAttribute(name).
  void ValidAttribute(std::string_view tag, std::string_view name, const Value& v,
                      bool url_attribute);
  // The children of a script/style element `el` in HTML (attribute pairs
  // skipped): their text joined, which must not close or confuse it.
  void RawText(std::string_view tag, const Value& el);
  // Checks a void element's child (only nothing-rendering values allowed).
  void VoidChild(std::string_view tag, const Value& v);
  void CheckSink();

  [[noreturn]] void Fail(std::string message);
  // Data the policy would not write as given: counted in `counter` of the
  // options' stats (with `why`), or a Fail when the options neutralize
  // nothing.
  void Neutralize(uint64_t RenderStats::*counter, std::string why);
  HtmlOut& out() { return out_; }
  // How the children now being written are parsed (elements.h).
  Context context() const { return context_; }
  void set_context(Context c) {
    context_ = c;
    if (m_ != nullptr) m_->set_markup_context(MarkupTag(c));
  }
  // The tag markup rendered in context `c` carries (Value::HtmlView).
  static uint8_t MarkupTag(Context c) { return static_cast<uint8_t>(1 + static_cast<int>(c)); }
  // Whether anything written so far depends on the context (a script, a
  // style, an element that changes the context): such bytes cannot be
  // computed ahead of time.
  bool context_sensitive() const { return context_sensitive_; }
  const RenderOptions& options() const { return options_; }
  // A buffer for a value assembled before it is checked (a URL).
  std::string& text_buffer() { return text_; }

 private:
  // Writes `<tag attrs>` for the element list `el` (attributes anywhere in
  // it), and `</tag>`.
  void OpenTag(const Value& el, std::string_view tag);
  bool LeadingNewline(std::string_view tag, const Value& el);
  void CloseTag(std::string_view tag);
  // `k:v;k:v` of a :style dict, checked.
  void StyleValue(const Value& dict);
  // nil/booleans (nothing), numbers, raw! markup: written the same in every
  // context; false for anything else.
  bool Scalar(const Value& v);
  void ClassValue(const Value& v, bool* first, int depth);
  void AppendNumber(const Value& v);

  static constexpr char kKind = 0;  // its address tells Renderers from other Emitters
  HtmlOut& out_;
  const RenderOptions& options_;
  eval_internal::Machine* m_;
  Budget* budget_;
  Budget* outer_budget_;
  std::string text_;
  Context context_ = Context::kHtml;
  bool context_sensitive_ = false;
};

// A markup context tag's names (Renderer::MarkupTag): `display` for
// messages, `key` for a cached subtree's "context" key input (spec/cache.md).
struct MarkupContextName {
  std::string_view display;
  std::string_view key;
};
MarkupContextName NameOfMarkupContext(uint8_t tag);
// The context markup made now is for: that of the render running on `m`,
// or HTML when nothing is being rendered.
inline uint8_t MarkupContextOf(const eval_internal::Machine& m) {
  uint8_t tag = m.markup_context();
  return tag != 0 ? tag : Renderer::MarkupTag(Context::kHtml);
}

// Renders data as markup for a parsing context given by its tag (not 0:
// Renderer::MarkupTag, MarkupContextOf) — a `cached` subtree rendered for
// where it is used — charging `m`'s budget. The value is the markup, tagged with that
// context, made by `m` (so it lives as long as the evaluation's values).
Value RenderMarkupFor(eval_internal::Machine& m, const Value& tree, uint8_t context_tag,
                      std::string* markup);

}  // namespace sexp::html_internal

#endif  // SEXP_SRC_HTML_RENDER_H_
