// The canonical writer (spec/canonical.md): WriteCanonical, Canonical and
// AppendQuotedString. HashNode (address.cc) streams this writer's output
// into SHA3, so this loop is the content hash's speed too.
//
// This file holds the loop and what only the loop uses (its frames, the
// reordered copies of lists). What the loop relies on inlining is inline in
// headers, forced where GCC would not inline it across the split: the
// bounded copies (text_copy.h), the output buffer (out_buffer.h), and the
// order checks that settle most lists and dicts (key_order.h). What was out
// of line when the whole writer was one file still is: FormatFloat
// (float_format.cc), the order of a new list shape and the sorting of a
// dict (key_order.cc), and the atoms the loop does not write itself
// (WriteOther, through atom_text.h). Checked against the one-file writer
// with callgrind: no more instructions on the feed, the page or the table
// (FAST_PATH.md, "Canonical writer").
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/atom_text.h"
#include "core/key_order.h"
#include "core/out_buffer.h"
#include "core/text_copy.h"
#include "sexp/core/writer.h"

namespace sexp {
namespace {

using internal::CopyText;
using internal::OutBuffer;

Error Unrepresentable() {
  return Error{ErrorCode::kUnrepresentable, kNoOffset, 0, 0,
               "NaN and infinities have no canonical form"};
}

// Contiguous runs of Nodes handed out and given back in stack order; a run
// never moves while it is in use (new blocks are added, never grown), so the
// writer can iterate a reordered copy of a list by pointer while it writes
// the lists nested in it.
class NodeRuns {
 public:
  // A run of n Nodes, valid until the matching Pop().
  Node* Push(size_t n) {
    marks_.push_back({current_, used_});
    while (current_ < blocks_.size() && blocks_[current_].size - used_ < n) {
      ++current_;
      used_ = 0;
    }
    if (current_ == blocks_.size()) {
      // Blocks double from a small first one: make_unique constructs every
      // Node, and one writer for a 1 KB activity (signing one) needs a few
      // dozen, not 4096 (which cost more than the rest of the writing).
      size_t grow = blocks_.empty() ? kFirstBlockNodes
                                    : std::min(blocks_.back().size * 2, kBlockNodes);
      size_t size = std::max<size_t>(n, grow);
      blocks_.push_back({std::make_unique<Node[]>(size), size});
    }
    Node* run = blocks_[current_].nodes.get() + used_;
    used_ += n;
    return run;
  }
  // Gives back the most recent run.
  void Pop() {
    current_ = marks_.back().first;
    used_ = marks_.back().second;
    marks_.pop_back();
  }

 private:
  static constexpr size_t kFirstBlockNodes = 64;
  static constexpr size_t kBlockNodes = 4096;
  struct Block {
    std::unique_ptr<Node[]> nodes;
    size_t size;
  };
  std::vector<Block> blocks_;
  std::vector<std::pair<size_t, size_t>> marks_;  // (block, used) before each run
  size_t current_ = 0;
  size_t used_ = 0;
};

// The canonical writer proper: one loop over an explicit stack of frames
// (any depth), writing into an OutBuffer through a local cursor.
//
// Every element is written followed by a space; a closer replaces the space
// after the last element (canonical text never ends an element with a
// space, so "the byte before the cursor is a space" means "an element came
// last"). That space is always still in the buffer: a flush happens before
// an element is written or after a closer has dropped the space. A frame
// iterates a span of Nodes: a list in source order in place, one whose
// keyword pairs (or dict keys) move as a copy in canonical order, in a
// NodeRuns run.
//
// Before each element the loop makes room for the largest atom it writes
// inline (kAtomRoom), so symbols, keywords, plain strings up to kInlineText
// bytes, integers, floats, nil and booleans are each a few stores with no
// further check and no call. Interned names carry at least 16 readable bytes
// (ast.h), so names up to 16 bytes are one 16-byte copy. Anything else
// (escaped or long strings, byte strings) goes through WriteOther.
class CanonicalWriter {
 public:
  explicit CanonicalWriter(ByteSink& sink) : out_(sink) {}

  Error Run(const Node& root) {
    char* w = out_.cursor();
    char* const limit = out_.limit();
    // The frame being written lives in `cur` (registers); stack_ holds the
    // frames around it. The root is the one element of a frame with no
    // closer.
    Frame cur{&root, &root + 1, 0, false};
    for (;;) {
      if (cur.next == cur.end) {
        w -= w > out_.begin() && w[-1] == ' ';  // the space after the last element
        if (stack_.empty()) break;
        if (static_cast<size_t>(limit - w) < 2) w = out_.FlushAt(w);
        w[0] = cur.close;
        w[1] = ' ';
        w += 2;
        if (cur.copied) runs_.Pop();
        cur = stack_.back();
        stack_.pop_back();
        continue;
      }
      const Node& c = *cur.next++;
      if (static_cast<size_t>(limit - w) < kAtomRoom) w = out_.FlushAt(w);
      // Keywords, strings and symbols are most of every document: they are
      // tested first with plain branches, which predict better from the
      // document's rhythm than one indirect jump over all kinds.
      const Kind kind = c.kind();
      if (kind == Kind::kKeyword || kind == Kind::kSymbol) {
        const Atom* a = c.atom();
        const size_t size = a->size;
        if (size <= kInlineText) {
          *w = ':';
          w += kind == Kind::kKeyword;
          const char* name = a->name().data();
          std::memcpy(w, name, 16);  // names have 16 readable bytes (ast.h)
          if (size > 16) CopyText(w + 16, name + 16, size - 16);
          w += size;
          *w++ = ' ';
          continue;
        }
      } else if (kind == Kind::kString) {
        std::string_view s = c.str();
        if ((c.flags() & Node::kFlagPlainString) && s.size() <= kInlineText) {
          *w++ = '"';
          w = CopyText(w, s.data(), s.size());
          w[0] = '"';
          w[1] = ' ';
          w += 2;
          continue;
        }
      }
      switch (kind) {
        case Kind::kSymbol:
        case Kind::kKeyword:
        case Kind::kString:
        case Kind::kBytes:
          break;  // long or escaped text, byte strings
        case Kind::kInt:
          w = WriteInt(w, c.as_int());
          *w++ = ' ';
          continue;
        case Kind::kFloat:
          if (!std::isfinite(c.as_float())) {
            error_ = Unrepresentable();
            return Finish(w);
          }
          w += FormatFloat(c.as_float(), w);
          *w++ = ' ';
          continue;
        case Kind::kNil:
          std::memcpy(w, "nil ", 4);
          w += 4;
          continue;
        case Kind::kBool:
          if (c.as_bool()) {
            std::memcpy(w, "true ", 5);
            w += 5;
          } else {
            std::memcpy(w, "false ", 6);
            w += 6;
          }
          continue;
        case Kind::kList:
        case Kind::kDict: {
          const uint32_t* order = orderer_.Order(c, &error_);
          if (!error_.ok()) return Finish(w);
          const bool dict = kind == Kind::kDict;
          *w++ = dict ? '{' : '(';
          // Ask memory early for what comes after this list. The reader (and
          // the Builder) allocate a list's element array when the list is
          // complete, so in the arena a list's last descendants lie just
          // before its array: fetch the kPrefetchBehind bytes before the
          // next sibling list's array, and its first line. Measured on the
          // 27 MB feed (an AST larger than the caches): 22 → 17.5 ms per
          // write. Fetching the exact gap after this list's array, or the
          // rest of this list's own array, gained nothing.
          for (const Node* y = cur.next; y < cur.end && y < cur.next + kSiblingLookahead; ++y) {
            if (y->kind() == Kind::kList) {
              const char* array = reinterpret_cast<const char*>(y->items().data());
              for (long off = -kPrefetchBehind; off <= 0; off += kCacheLine) {
                __builtin_prefetch(array + off);
              }
              break;
            }
          }
          stack_.push_back(cur);
          auto items = c.items();
          cur = {items.data(), items.data() + items.size(), dict ? '}' : ')', order != nullptr};
          if (order != nullptr) {
            // Canonical order differs from source order: iterate a copy.
            Node* run = runs_.Push(items.size());
            for (size_t k = 0; k < items.size(); ++k) run[k] = items[order[k]];
            cur.next = run;
            cur.end = run + items.size();
          }
          continue;
        }
      }
      w = WriteOther(c, w);
    }
    return Finish(w);
  }

 private:
  struct Frame {
    const Node* next;
    const Node* end;
    char close;
    bool copied;  // iterating a NodeRuns copy, released when the frame ends
  };
  static constexpr long kSiblingLookahead = 4;  // elements searched for the next list
  static constexpr long kPrefetchBehind = 512;  // bytes fetched before its array
  static constexpr long kCacheLine = 64;
  static constexpr size_t kInlineText = 256;  // longest name or string written inline
  static constexpr size_t kIntRoom = 20;      // "-9223372036854775808"
  // The largest inline atom with its space: ':' + name (copied as 16 bytes
  // at least), or a quoted string.
  static constexpr size_t kAtomRoom = kInlineText + 3 + 16;
  static_assert(kAtomRoom >= kIntRoom + 1 && kAtomRoom >= 32 + 1, "ints and floats fit");

  // Writes an integer's text at w; returns the new cursor. Flattened, so
  // that std::to_chars is inlined into the loop with its digit loop
  // (libstdc++'s __to_chars_10_impl). In writer.cc that happened unasked,
  // because FormatFloat's own to_chars calls in the same file made GCC
  // inline the digit loop everywhere; alone here it stayed a call (+1.3 %
  // instructions on the numeric table).
  [[gnu::flatten]] static char* WriteInt(char* w, int64_t v) {
    return std::to_chars(w, w + kIntRoom, v).ptr;
  }
  // Writes an atom the loop does not write inline (it is never a float, so
  // never fails), then its space; returns the new cursor. Out of line, so
  // that the loop's cursor stays in a register.
  [[gnu::noinline]] char* WriteOther(const Node& c, char* w) {
    internal::WriteAtom(c, [&](std::string_view t) { w = out_.PutAt(w, t); });
    return out_.PutAt(w, " ");
  }
  // On success and on error alike the sink gets what was written.
  Error Finish(char* w) {
    out_.Commit(w);
    out_.Flush();
    if (error_.ok() && out_.refused()) return internal::SinkRefusedError();
    return error_;
  }

  internal::Orderer orderer_;
  NodeRuns runs_;
  std::vector<Frame> stack_;
  Error error_;
  OutBuffer out_;  // last: 64 KiB, after the members the loop reads
};

}  // namespace

Error WriteCanonical(const Node& root, ByteSink& sink) {
  return CanonicalWriter(sink).Run(root);
}

Result<std::string> Canonical(const Node& node) {
  std::string s;
  StringSink sink(&s);
  Error e = WriteCanonical(node, sink);
  if (!e.ok()) return e;
  return s;
}

void AppendQuotedString(std::string_view text, std::string* out) {
  internal::QuoteInto(text, [&](std::string_view s) { out->append(s); });
}

}  // namespace sexp
