// Cache keys (spec/cache.md, "Key"). The key of a subtree is the address of
// one datum,
//
//   (subtree-key-v1 SUBTREE {"name" VALUE …})
//
// written straight into the hash: the head and the punctuation are fixed
// bytes, the names are quoted as the canonical writer quotes strings, and
// the subtree and the values stream through WriteCanonical. The inputs are
// sorted by name bytewise, which is the order the canonical form gives a
// dict's string keys, so the bytes hashed are exactly the canonical form of
// that datum: `sexp hash` of the text gives the same key.
#include <algorithm>
#include <string>
#include <vector>

#include "core/chars.h"
#include "sexp/cache/cache.h"
#include "sexp/core/writer.h"

namespace sexp {

absl::StatusOr<Digest> SubtreeKey(const Node& subtree,
                                  absl::Span<const KeyInput> inputs) {
  std::vector<const KeyInput*> sorted;
  sorted.reserve(inputs.size());
  for (const KeyInput& in : inputs) {
    if (in.value == nullptr) {
      return absl::InvalidArgumentError("SubtreeKey: input \"" + std::string(in.name) +
                                        "\" has no value");
    }
    if (internal::FindInvalidUtf8(in.name) != std::string_view::npos) {
      return absl::InvalidArgumentError("SubtreeKey: an input name is not UTF-8");
    }
    sorted.push_back(&in);
  }
  // std::string_view compares with char_traits<char>::compare, which is
  // memcmp order: unsigned bytes, a prefix first.
  std::sort(sorted.begin(), sorted.end(),
            [](const KeyInput* a, const KeyInput* b) { return a->name < b->name; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i - 1]->name == sorted[i]->name) {
      std::string quoted;
      AppendQuotedString(sorted[i]->name, &quoted);
      return absl::InvalidArgumentError("SubtreeKey: duplicate-key: input " + quoted +
                                        " given twice");
    }
  }

  Sha3Sink sink;
  sink.Write("(subtree-key-v1 ");
  if (Error e = WriteCanonical(subtree, sink); !e.ok()) {
    return absl::InvalidArgumentError("SubtreeKey: subtree: " + e.ToString());
  }
  sink.Write(" {");
  std::string quoted;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) sink.Write(" ");
    quoted.clear();
    AppendQuotedString(sorted[i]->name, &quoted);
    sink.Write(quoted);
    sink.Write(" ");
    if (Error e = WriteCanonical(*sorted[i]->value, sink); !e.ok()) {
      return absl::InvalidArgumentError("SubtreeKey: input " + quoted + ": " + e.ToString());
    }
  }
  sink.Write("})");
  return sink.Finish();
}

}  // namespace sexp
