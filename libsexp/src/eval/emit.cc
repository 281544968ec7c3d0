// Emitting: compiled code handing its value to an Emitter as it is computed
// (Code::Emit, Eval's twin), so that a consumer such as the HTML renderer
// never needs the whole tree. The default evaluates and emits the value; the
// nodes below do better:
//   - a call of sx code emits the callee's body in place (Machine::Apply with
//     an Emitter), a tail call included, through Apply's loop;
//   - if/cond/case/let/do emit the branch or last form they pick;
//   - (str …) emits its pieces; (map f xs) emits each (f x) as it is made.
// What is emitted is what evaluating would give (tests/html/stream_test.cc
// holds the two paths to the same bytes through the renderer).
#include "eval/machine.h"
#include "eval/nodes.h"

namespace sexp::eval_internal {

Value Code::Emit(Machine& m, Frame* f, Emitter& out) const {
  Value v = Eval(m, f);
  if (Machine::IsTailMarker(v)) return v;
  m.set_site(this);  // errors in what the value becomes point at what made it
  out.Emit(v);
  return Value();
}

void EmitPrimitive(Machine& m, const Primitive& p, const Value* args, size_t n, const Code* site,
                   Emitter& out) {
  if (p.stream == StreamOp::kMap && n == 2 && (args[1].is_list() || args[1].is_nil())) {
    // (map f xs) as `map` runs it (same calls, same steps), each result
    // emitted where it is made instead of collected.
    Value fn = args[0];
    Value xs = args[1];
    for (const Value& x : xs.items()) m.Apply(fn, &x, 1, site, &out);
    return;
  }
  Value v = m.RunPrimitive(p, args, n, site);
  if (site != nullptr) m.set_site(site);
  out.Emit(v);
}

Value If::Emit(Machine& m, Frame* f, Emitter& out) const {
  return test->Eval(m, f).truthy() ? then->Emit(m, f, out) : otherwise->Emit(m, f, out);
}

Value Seq::Emit(Machine& m, Frame* f, Emitter& out) const {
  size_t last = body.size() - 1;
  for (size_t i = 0; i < last; ++i) body[i]->Eval(m, f);
  return body[last]->Emit(m, f, out);
}

Value LetSeq::Emit(Machine& m, Frame* f, Emitter& out) const {
  Inits(m, f);
  return body->Emit(m, f, out);
}

Value Cond::Emit(Machine& m, Frame* f, Emitter& out) const {
  for (const auto& [test, body] : clauses) {
    if (test == nullptr || test->Eval(m, f).truthy()) return body->Emit(m, f, out);
  }
  return Value();
}

Value Case::Emit(Machine& m, Frame* f, Emitter& out) const {
  Value k = key->Eval(m, f);
  for (const auto& [datum, body] : clauses) {
    if (m.Equal(k, datum)) return body->Emit(m, f, out);
  }
  return otherwise ? otherwise->Emit(m, f, out) : Value();
}

Value CallStr::Emit(Machine& m, Frame* f, Emitter& out) const {
  if (!Holds()) return Code::Emit(m, f, out);
  m.Step();  // as the call of the primitive
  for (const Code* a : args) out.EmitDisplay(a->Eval(m, f));
  return Value();
}

void CallMap::EmitCall(Machine& m, Frame* f, Emitter& out, const Value& xs) const {
  Value argv[2] = {fn->Eval(m, f), xs};
  EmitInvoke(m, cell->value, argv, 2, false, this, out);
}

Value CallMap::Emit(Machine& m, Frame* f, Emitter& out) const {
  if (!Holds()) return call->Emit(m, f, out);
  Value xs = items->Eval(m, f);  // (the closure is made first there, but has no effects)
  if (!xs.is_list() && !xs.is_nil()) {
    EmitCall(m, f, out, xs);
    return Value();
  }
  const Lambda& l = *fn->lambda;
  m.ForEachCall(l, f, xs.items(), this, out,
                [&](Frame* frame) { return l.body->Emit(m, frame, out); });
  return Value();
}

}  // namespace sexp::eval_internal
