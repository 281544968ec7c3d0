// Internal: html element forms — `(div :class "x" …)` compiled to a node
// that evaluates to the element's data or, rendered, writes the bytes its
// plan fixed at compile time. They join the language through the compiler
// hook (eval/extension.h): RegisterHtmlForms, called from sexp/html/render.h.
// The evaluator knows nothing of them.
#ifndef SEXP_SRC_HTML_ELEMENT_H_
#define SEXP_SRC_HTML_ELEMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "eval/machine.h"
#include "eval/nodes.h"

namespace sexp::html_internal {

using eval_internal::ArgValues;
using eval_internal::CallStr;
using eval_internal::Code;
using eval_internal::Emitter;
using eval_internal::EvalArgs;
using eval_internal::Frame;
using eval_internal::Global;
using eval_internal::Invoke;
using eval_internal::Machine;

// (tag …) where `tag` names an HTML element (or contains '-') and was not
// bound to something callable when compiled: the head-position rule of
// spec/rendering.md. When it runs, a callable value of the name (a global
// defined since, or a local such as a component parameter) is called;
// anything else — unbound, or data such as a parameter named `title` —
// makes the element: as data (the head symbol followed by the evaluated
// arguments) when evaluated, straight to the output when rendered (emitted to a
// Renderer).
//
// Attribute names are the keyword literals of the form and its `(keyword …)`
// calls (names computed at run time); any other expression in a child
// position that gives a keyword is an error (when rendering, the start tag is
// written by the time a child runs).
struct Element final : Code {
  Global* cell = nullptr;        // the name is a global … (neither: always the element)
  const Code* local = nullptr;   // … or a local (reads its value)
  const Atom* name;
  std::vector<const Code*> args;
  bool tail = false;
  // Arguments that are (keyword …) attribute names.
  std::vector<uint32_t> computed_names;
  // Arguments in child positions that are not literals (checked for keywords).
  std::vector<uint32_t> computed_children;

  // The streaming plan, made by PlanElement (libsexp/src/html/stream.cc):
  // what is known at compile time (tags, literal attributes and text, already
  // escaped) as runs of `bytes`, between the parts that run.
  struct Part {
    // Each part first writes its prefix, bytes[pre_offset, +pre_size), then:
    enum Kind : uint8_t {
      kBytes,       // nothing more (the bytes after the last part that runs)
      kAttr,        // attribute named bytes[offset, offset+size) = code's value
      kAttrStr,     // the same, code is a CallStr: see below
      kDisplay,     // code's display text, escaped: a piece of a (str …)
      kChild,       // code renders in place
      kChildValue,  // code's value (a lookup or a variable: nothing to stream)
      kVoidChild,   // code's value must render as nothing
      kEach,        // code is a CallMap: the next `skip` parts are its
                    // lambda's body, run for each item (charged `steps`)
      kIf,          // code is an If's test: true, the then branch follows
                    // (charged `steps`); false, `skip` parts are skipped to
                    // the else branch (charged `alt_steps`)
      kJump,        // the end of a then branch: skips `skip` parts (the else)
      kLocalHead,   // code is the local an element is named by; when it
                    // holds something callable, `name` (the Element) runs
                    // instead of the `skip` parts after (charged `steps`)
    } kind;
    // Attributes: facts about the name known when planned.
    bool valid_name = false;     // IsValidAttributeName
    bool url = false;            // IsUrlAttribute: the URL policy applies
    bool safe_prefix = false;    // kAttrStr: its first piece makes the URL safe
    // kAttr/kChildValue/kDisplay: how the value is read — code->Eval, or without a
    // virtual call: a KeyGet's Get, or slot `slot` of the current frame.
    enum Source : uint8_t { kEval, kKeyGet, kSlot } source = kEval;
    uint32_t slot = 0;
    // kAttrStr: while `str` is the built-in (and the URL policy need not see
    // the value whole), the parts after it write ` name="`, its pieces and
    // `"`; otherwise the attribute is written here, the next `skip` parts
    // are skipped and the first `trim` bytes of the prefix after them (the
    // rest of the attribute) too.
    uint32_t skip = 0, trim = 0;
    uint32_t steps = 0, alt_steps = 0;  // kEach, kIf
    uint32_t pre_offset = 0, pre_size = 0;
    uint32_t offset = 0, size = 0;
    const Code* code = nullptr;
    const Code* name = nullptr;  // kAttr: a (keyword …) naming it, else the bytes do;
                                 // kLocalHead: the element
    const Element* owner = nullptr;  // whose part (its tag; errors point at it)
  };
  std::string bytes;
  // Child elements whose heads are globals are inlined into `parts` (their
  // bytes merged with the parent's); should one of those globals become
  // callable, `own_parts` runs instead, where each child runs its own.
  std::vector<Part> parts;
  std::vector<Part> own_parts;
  std::vector<const Global*> guards;  // the heads of the inlined elements
  std::vector<const CallStr*> str_guards;  // (str …) values merged as pieces
  mutable uint64_t guards_checked = 0;  // the global_version they last held at
  uint32_t inlined = 0;  // steps for the elements and str calls merged (charged as one)
  bool changes_context = false;       // svg, math…: sets the Renderer's context
  bool streamable = false;  // false: rendered as data (the error cases)

  Value Eval(Machine& m, Frame* f) const override {
    ArgValues items(args.size() + 1);  // the head, then the arguments
    EvalArgs(m, f, args.data(), args.size(), items.data() + 1);
    Value head = local != nullptr                  ? local->Eval(m, f)
                 : cell != nullptr && cell->bound ? cell->value
                                                  : Value();
    if (head.is_callable()) {
      return Invoke(m, head, items.data() + 1, args.size(), tail, this);
    }
    for (uint32_t i : computed_children) {
      if (items[i + 1].is_keyword()) FailMisplaced(m, items[i + 1], args[i]);
    }
    for (uint32_t i : computed_names) {
      if (!items[i + 1].is_keyword()) FailMisplaced(m, items[i + 1], args[i]);
    }
    items[0] = Value::Symbol(name);
    m.Charge(args.size());
    return m.MakeList(items);
  }
  Value Emit(Machine& m, Frame* f, Emitter& out) const override;
  // A child expression gave a keyword, or a (keyword …) name did not.
  [[noreturn]] void FailMisplaced(Machine& m, const Value& v, const Code* at) const;
};

// Fills the streaming plan of an element whose `args` are compiled; the
// constants it renders ahead are charged to `budget` (nullptr: uncharged).
void PlanElement(Element& e, Budget* budget);

}  // namespace sexp::html_internal

#endif  // SEXP_SRC_HTML_ELEMENT_H_
