// libFuzzer target: the reader on arbitrary bytes.
//
// Reads the input with small limits (max_depth 256, max_size 1 MiB). The low
// bit of the first byte picks ReadOptions::copy_source. On success every node
// is walked (every accessor, Document::position of every node) and checked
// against spec/grammar.md: positions inside the source with the line and
// column of their offset, each node starting with the byte its kind implies,
// children after their parent and in order, dict keys valid and distinct,
// names and strings valid UTF-8, nesting within max_depth. On failure the
// error must have a real code, an offset within the input (or exactly
// max_size for size-limit), the line and column of that offset, and a
// message. ReadOne must agree with Read (spec/grammar.md §11). The reader's
// fast paths (the validated loop with SSE2 and with the class table) must
// read every valid-UTF-8 input exactly as the checking reader does: the same
// nodes, flags and offsets, or the same error (reader_paths.h).
//
// With copy_source = true the input is read from a heap copy that is
// scribbled over and freed before the walk, so a document that still points
// into its caller's text is a use-after-free under ASan.
//
// Any violation calls __builtin_trap() after printing what failed.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "core/reader_paths.h"
#include "sexp/core/ast.h"
#include "sexp/core/error.h"
#include "sexp/core/reader.h"

namespace {

using sexp_fuzz::kMaxDepth;
using sexp_fuzz::kMaxSize;

// Folds bytes read through the accessors so the reads are not optimized away
// (and ASan sees every one of them).
volatile uint64_t g_sink;

void Touch(std::string_view s) {
  uint64_t h = g_sink;
  for (unsigned char c : s) h = h * 31 + c;
  g_sink = h;
}

// Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing past U+10FFFF.
bool IsUtf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    if (cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

bool IsDelimiter(char c) {
  switch (c) {
    case ' ': case '\t': case '\r': case '\n':
    case '(': case ')': case '[': case ']': case '{': case '}':
    case '"': case ';': case '\'': case '`': case ',':
      return true;
    default:
      return false;
  }
}

// Line starts of `text`, for computing the expected line and column of an
// offset independently of Document::PositionOfOffset.
class Lines {
 public:
  explicit Lines(std::string_view text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  // 1-based line and column of `offset`.
  std::pair<uint64_t, uint64_t> At(uint64_t offset) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    size_t line = static_cast<size_t>(it - starts_.begin());
    return {line, offset - starts_[line - 1] + 1};
  }

 private:
  std::vector<uint64_t> starts_;
};

void CheckError(const sexp::Error& e, std::string_view text,
                const Lines& lines) {
  FUZZ_CHECK(!e.ok());
  FUZZ_CHECK(e.code != sexp::ErrorCode::kOk);
  // Reader errors only: no writer error, and 1 MiB cannot exhaust memory.
  FUZZ_CHECK(e.code != sexp::ErrorCode::kUnrepresentable);
  FUZZ_CHECK(e.code != sexp::ErrorCode::kOutOfMemory);
  FUZZ_CHECK(!sexp::ErrorCodeName(e.code).empty());
  FUZZ_CHECK(sexp::ErrorCodeName(e.code) != "unknown");
  FUZZ_CHECK(e.offset != sexp::kNoOffset);
  if (e.code == sexp::ErrorCode::kSizeLimit) {
    FUZZ_CHECK(text.size() > kMaxSize);
    FUZZ_CHECK(e.offset == kMaxSize);
  } else {
    FUZZ_CHECK(text.size() <= kMaxSize);
    FUZZ_CHECK(e.offset <= text.size());
  }
  FUZZ_CHECK(e.line >= 1);
  FUZZ_CHECK(e.column >= 1);
  auto [line, column] = lines.At(e.offset);
  FUZZ_CHECK(e.line == line);
  FUZZ_CHECK(e.column == column);
  if (e.code == sexp::ErrorCode::kUnexpectedEof) {
    FUZZ_CHECK(e.offset == text.size());
  }
  FUZZ_CHECK(!e.message.empty());
  std::string s = e.ToString();
  std::string prefix = std::to_string(e.line) + ":" + std::to_string(e.column) +
                       ": " + std::string(sexp::ErrorCodeName(e.code)) + ": ";
  FUZZ_CHECK(s.compare(0, prefix.size(), prefix) == 0);
  FUZZ_CHECK(!e.ToStatus().ok());
}

// The name sugar character `c` (at `at`) expands to.
std::string_view SugarHead(std::string_view src, uint64_t at) {
  switch (src[at]) {
    case '\'': return "quote";
    case '`': return "quasiquote";
    case ',':
      return (at + 1 < src.size() && src[at + 1] == '@') ? "unquote-splicing"
                                                          : "unquote";
    default: return {};
  }
}

struct Walker {
  const sexp::Document& doc;
  std::string_view src;  // doc.source()
  const Lines& lines;
  std::unordered_map<std::string_view, const sexp::Atom*> atoms;

  // Checks the node's position and returns its offset.
  uint64_t CheckPosition(const sexp::Node& n) {
    sexp::Position p = doc.position(n);
    FUZZ_CHECK(p.known());
    FUZZ_CHECK(p.offset < src.size());
    FUZZ_CHECK(p.line >= 1);
    FUZZ_CHECK(p.column >= 1);
    auto [line, column] = lines.At(p.offset);
    FUZZ_CHECK(p.line == line);
    FUZZ_CHECK(p.column == column);
    FUZZ_CHECK(n.raw_offset(src.data()) == p.offset);
    return p.offset;
  }

  void CheckAtom(const sexp::Node& n) {
    const sexp::Atom* a = n.atom();
    FUZZ_CHECK(a != nullptr);
    FUZZ_CHECK(a->name() == n.name());
    Touch(a->name());
    FUZZ_CHECK(!n.name().empty());
    FUZZ_CHECK(IsUtf8(n.name()));
    // Interning: one Atom per distinct name within a document.
    auto [it, inserted] = atoms.emplace(n.name(), a);
    FUZZ_CHECK(it->second == a);
  }

  // `sugar_head`: the node is the synthesized head of a sugar form whose
  // sugar character is at `parent_off`.
  void CheckNode(const sexp::Node& n, uint64_t off, bool sugar_head) {
    // Exactly one kind predicate holds.
    int kinds = n.is_nil() + n.is_bool() + n.is_int() + n.is_float() +
                n.is_string() + n.is_bytes() + n.is_symbol() + n.is_keyword() +
                n.is_list() + n.is_dict();
    FUZZ_CHECK(kinds == 1);
    FUZZ_CHECK(!sexp::KindName(n.kind()).empty());
    std::string_view rest = src.substr(off);
    // The byte after a token must be a delimiter or the end of input.
    auto token_ends_at = [&](size_t len) {
      return len == rest.size() || (len < rest.size() && IsDelimiter(rest[len]));
    };
    switch (n.kind()) {
      case sexp::Kind::kNil:
        FUZZ_CHECK(rest.substr(0, 3) == "nil");
        FUZZ_CHECK(token_ends_at(3));
        break;
      case sexp::Kind::kBool: {
        bool b = n.as_bool();
        if (n.flags() & sexp::Node::kFlagHashBool) {
          FUZZ_CHECK(rest.substr(0, 2) == (b ? "#t" : "#f"));
          FUZZ_CHECK(token_ends_at(2));
        } else {
          std::string_view word = b ? "true" : "false";
          FUZZ_CHECK(rest.substr(0, word.size()) == word);
          FUZZ_CHECK(token_ends_at(word.size()));
        }
        break;
      }
      case sexp::Kind::kInt:
      case sexp::Kind::kFloat: {
        char c = rest[0];
        FUZZ_CHECK((c >= '0' && c <= '9') ||
                   (c == '-' && rest.size() > 1 && rest[1] >= '0' &&
                    rest[1] <= '9'));
        if (n.is_int()) {
          g_sink = g_sink + static_cast<uint64_t>(n.as_int());
        } else {
          double d = n.as_float();
          FUZZ_CHECK(d - d == 0.0);  // finite
          uint64_t bits;
          std::memcpy(&bits, &d, sizeof bits);
          g_sink = g_sink + bits;
        }
        break;
      }
      case sexp::Kind::kString: {
        FUZZ_CHECK(rest[0] == '"');
        std::string_view s = n.str();
        Touch(s);
        FUZZ_CHECK(IsUtf8(s));
        if (n.flags() & sexp::Node::kFlagSourceString) {
          // Zero-copy: the bytes are the literal's body, unescaped, followed
          // by the closing quote.
          FUZZ_CHECK(s.data() == src.data() + off + 1);
          FUZZ_CHECK(s.size() + 2 <= rest.size());
          FUZZ_CHECK(rest[s.size() + 1] == '"');
          FUZZ_CHECK(s.find('\\') == std::string_view::npos);
          FUZZ_CHECK(s.find('"') == std::string_view::npos);
        }
        break;
      }
      case sexp::Kind::kBytes:
        FUZZ_CHECK(rest.substr(0, 5) == "#b64\"");
        Touch(n.bytes());
        break;
      case sexp::Kind::kSymbol:
        CheckAtom(n);
        if (sugar_head) {
          FUZZ_CHECK(n.name() == SugarHead(src, off));
        } else {
          // A symbol is named by its whole token.
          FUZZ_CHECK(rest.substr(0, n.name().size()) == n.name());
          FUZZ_CHECK(token_ends_at(n.name().size()));
          FUZZ_CHECK(n.name() != "true" && n.name() != "false" &&
                     n.name() != "nil");
          char c = n.name()[0];
          FUZZ_CHECK(c != '#' && c != ':' && !(c >= '0' && c <= '9'));
          FUZZ_CHECK(!(c == '-' && n.name().size() > 1 &&
                       n.name()[1] >= '0' && n.name()[1] <= '9'));
          FUZZ_CHECK(n.is_symbol(n.name()));
        }
        break;
      case sexp::Kind::kKeyword:
        CheckAtom(n);
        FUZZ_CHECK(rest[0] == ':');
        FUZZ_CHECK(rest.substr(1, n.name().size()) == n.name());
        FUZZ_CHECK(token_ends_at(1 + n.name().size()));
        break;
      case sexp::Kind::kList:
        if (n.flags() & sexp::Node::kFlagSugar) {
          FUZZ_CHECK(!SugarHead(src, off).empty());
          FUZZ_CHECK(n.size() == 2);
          FUZZ_CHECK(n[0].is_symbol());
        } else {
          FUZZ_CHECK(rest[0] == '(' || rest[0] == '[');
          FUZZ_CHECK((rest[0] == '[') ==
                     ((n.flags() & sexp::Node::kFlagSquare) != 0));
        }
        break;
      case sexp::Kind::kDict: {
        FUZZ_CHECK(rest[0] == '{');
        FUZZ_CHECK(n.size() % 2 == 0);
        // Keys: keywords or strings, none repeated (a keyword and a string
        // with the same text are different keys).
        std::vector<std::pair<bool, std::string_view>> keys;
        for (size_t i = 0; i < n.size(); i += 2) {
          const sexp::Node& k = n[i];
          FUZZ_CHECK(k.is_keyword() || k.is_string());
          keys.emplace_back(k.is_keyword(), k.is_keyword() ? k.name() : k.str());
        }
        std::sort(keys.begin(), keys.end());
        FUZZ_CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
        break;
      }
    }
  }

  void Walk(absl::Span<const sexp::Node> roots) {
    struct Frame {
      const sexp::Node* node;
      uint64_t off;
      size_t depth;  // nesting of the containers around `node`
      bool sugar_head;
    };
    std::vector<Frame> stack;
    uint64_t prev = 0;
    bool first = true;
    for (const sexp::Node& r : roots) {
      uint64_t off = CheckPosition(r);
      if (!first) FUZZ_CHECK(off > prev);
      first = false;
      prev = off;
      stack.push_back({&r, off, 0, false});
      while (!stack.empty()) {
        Frame f = stack.back();
        stack.pop_back();
        const sexp::Node& n = *f.node;
        CheckNode(n, f.off, f.sugar_head);
        if (!n.is_list() && !n.is_dict()) continue;
        size_t depth = f.depth + 1;
        FUZZ_CHECK(depth <= kMaxDepth);
        absl::Span<const sexp::Node> items = n.items();
        FUZZ_CHECK(items.size() == n.size());
        bool sugar = (n.flags() & sexp::Node::kFlagSugar) != 0;
        uint64_t last = f.off;
        for (size_t i = 0; i < items.size(); ++i) {
          const sexp::Node& c = n[i];
          FUZZ_CHECK(&c == &items[i]);
          uint64_t coff = CheckPosition(c);
          bool head = sugar && i == 0;
          if (head) {
            FUZZ_CHECK(coff == f.off);  // the sugar character
          } else {
            FUZZ_CHECK(coff > last);    // after the opener and the previous
          }
          last = coff;
          stack.push_back({&c, coff, depth, head});
        }
      }
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool copy_source = size > 0 && (data[0] & 1) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Lines lines(input);

  sexp::ReadOptions options;
  options.max_depth = kMaxDepth;
  options.max_size = kMaxSize;
  options.copy_source = copy_source;

  // With copy_source, read from a private copy that dies before the walk.
  std::unique_ptr<char[]> copy;
  std::string_view text = input;
  if (copy_source) {
    copy.reset(new char[size + 1]);
    if (size > 0) std::memcpy(copy.get(), data, size);
    text = std::string_view(copy.get(), size);
  }

  // Differential: every reader path against the checking one.
  FUZZ_CHECK(sexp::internal::ReaderPathsDisagree(input, options).empty());

  sexp::Result<sexp::Document> read = sexp::Read(text, options);
  sexp::Result<sexp::Document> one = sexp::ReadOne(text, options);

  if (copy) {
    std::memset(copy.get(), 0xA5, size);
    copy.reset();
  }

  if (!read.ok()) {
    CheckError(read.error(), input, lines);
    // ReadOne reports every error Read does, first.
    FUZZ_CHECK(!one.ok());
    FUZZ_CHECK(one.error().code == read.error().code);
    FUZZ_CHECK(one.error().offset == read.error().offset);
    return 0;
  }

  // Moving a document keeps its nodes valid.
  sexp::Document doc = std::move(read.value());
  FUZZ_CHECK(doc.source() == input);
  if (copy_source) {
    FUZZ_CHECK(doc.source().data() != reinterpret_cast<const char*>(data));
  } else {
    FUZZ_CHECK(doc.source().data() == reinterpret_cast<const char*>(data));
  }
  {
    sexp::Position end = doc.PositionOfOffset(size);
    auto [line, column] = lines.At(size);
    FUZZ_CHECK(end.known() && end.offset == size);
    FUZZ_CHECK(end.line == line && end.column == column);
    FUZZ_CHECK(!doc.PositionOfOffset(size + 1).known());
  }

  Walker walker{doc, doc.source(), lines, {}};
  walker.Walk(doc.roots());
  FUZZ_CHECK(doc.atom_count() >= walker.atoms.size());
  sexp::ArenaStats stats = doc.arena_stats();
  FUZZ_CHECK(stats.bytes_used <= stats.bytes_reserved);

  // ReadOne agrees with Read (spec/grammar.md §11).
  absl::Span<const sexp::Node> roots = doc.roots();
  if (roots.size() == 1) {
    FUZZ_CHECK(one.ok());
    FUZZ_CHECK(one->roots().size() == 1);
    FUZZ_CHECK(sexp::Equal(one->roots()[0], roots[0]));
    FUZZ_CHECK(one->position(one->roots()[0]).offset ==
               doc.position(roots[0]).offset);
  } else {
    FUZZ_CHECK(!one.ok());
    CheckError(one.error(), input, lines);
    if (roots.empty()) {
      FUZZ_CHECK(one.error().code == sexp::ErrorCode::kEmptyInput);
      FUZZ_CHECK(one.error().offset == size);
    } else {
      FUZZ_CHECK(one.error().code == sexp::ErrorCode::kTrailingInput);
      FUZZ_CHECK(one.error().offset == doc.position(roots[1]).offset);
    }
  }
  return 0;
}
