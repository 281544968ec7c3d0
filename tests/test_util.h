// Shared helpers for libsexp tests.
#ifndef SEXP_TESTS_TEST_UTIL_H_
#define SEXP_TESTS_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sexp/sexp.h"

namespace sexp::testing {

// Canonical quoted form of a string, one byte at a time (escapes exactly
// '"', '\\' and bytes below 0x20; \n \t \r, others \u00xx): the plain
// reference the writer's scanning paths are compared with.
inline std::string PlainQuoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// The decimal m * 10^-places written in fixed notation ("12.5", "0.005"),
// with ".0" for an integer (places 0): ECMAScript's layout for a value in
// [1e-6, 1e21), and the expected text of a double read from it when m has
// at most 15 significant digits (its shortest digits are then m's own).
inline std::string FixedLayout(bool negative, uint64_t m, int places) {
  std::string digits = std::to_string(m);
  std::string out = negative ? "-" : "";
  if (places == 0) return out + digits + ".0";
  if (static_cast<int>(digits.size()) > places) {
    return out + digits.substr(0, digits.size() - places) + "." +
           digits.substr(digits.size() - places);
  }
  return out + "0." + std::string(places - digits.size(), '0') + digits;
}

// An upstream allocator that counts calls and outstanding bytes, and can be
// told to refuse the Nth call (1-based) and every call after it.
class CountingAllocator {
 public:
  CountingAllocator() {
    hook_.allocate = &Allocate;
    hook_.deallocate = &Deallocate;
    hook_.context = this;
  }
  const Allocator& hook() const { return hook_; }
  void FailFrom(long n) { fail_from_ = n; }
  long calls() const { return calls_; }
  long outstanding_bytes() const { return outstanding_; }
  long outstanding_blocks() const { return blocks_; }

 private:
  static void* Allocate(void* ctx, size_t size) {
    auto* self = static_cast<CountingAllocator*>(ctx);
    ++self->calls_;
    if (self->fail_from_ > 0 && self->calls_ >= self->fail_from_) return nullptr;
    void* p = std::aligned_alloc(16, (size + 15) & ~size_t{15});
    if (p != nullptr) {
      self->outstanding_ += static_cast<long>(size);
      ++self->blocks_;
    }
    return p;
  }
  static void Deallocate(void* ctx, void* p, size_t size) {
    auto* self = static_cast<CountingAllocator*>(ctx);
    self->outstanding_ -= static_cast<long>(size);
    --self->blocks_;
    std::free(p);
  }

  Allocator hook_{};
  long fail_from_ = 0;
  long calls_ = 0;
  long outstanding_ = 0;
  long blocks_ = 0;
};

// Canonical text of every root of `text`, one per line; or "ERROR <code>
// line:col" if reading or writing fails. Keeps test expectations one-liners.
inline std::string CanonAll(std::string_view text, const ReadOptions& o = {}) {
  Result<Document> doc = Read(text, o);
  if (!doc.ok()) {
    const Error& e = doc.error();
    return "ERROR " + std::string(ErrorCodeName(e.code)) + " " +
           std::to_string(e.line) + ":" + std::to_string(e.column);
  }
  std::string out;
  for (const Node& n : doc->roots()) {
    if (!out.empty()) out += '\n';
    StringSink sink(&out);
    Error e = WriteCanonical(n, sink);
    if (!e.ok()) {
      doc->Locate(&e);
      return "ERROR " + std::string(ErrorCodeName(e.code)) + " " +
             std::to_string(e.line) + ":" + std::to_string(e.column);
    }
  }
  return out;
}

// The round-trip properties every readable document must have. Returns ""
// when they hold, else a description of the first violation:
//  - canonical(parse(canonical(x))) == canonical(x)  (idempotence)
//  - parse(canonical(x)) is structurally Equal to parse of it again
//  - HashNode(x) == SHA3-256(canonical(x))
//  - Format(x) reads back to the same canonical text, at several widths.
inline std::string CheckRoundTrip(const Document& doc) {
  for (size_t i = 0; i < doc.roots().size(); ++i) {
    const Node& root = doc.roots()[i];
    Result<std::string> c1 = Canonical(root);
    if (!c1.ok()) continue;  // no canonical form (duplicate keyword): skip
    Result<Document> back = ReadOne(*c1);
    if (!back.ok()) return "canonical text does not read: " + back.error().ToString() + " in " + *c1;
    Result<std::string> c2 = Canonical(back->roots()[0]);
    if (!c2.ok() || *c2 != *c1) return "canonical not idempotent: " + *c1;
    Result<Document> again = ReadOne(*c2);
    if (!again.ok() || !Equal(back->roots()[0], again->roots()[0])) {
      return "parse(canonical) unstable: " + *c1;
    }
    Result<Digest> d = HashNode(root);
    if (!d.ok() || !(*d == Sha3_256(*c1))) return "streamed hash differs: " + *c1;
  }
  for (size_t width : {16, 40, 100}) {
    FormatOptions fo;
    fo.width = width;
    Result<std::string> f = Format(doc, fo);
    if (!f.ok()) return "format failed: " + f.error().ToString();
    ReadOptions ro;
    ro.max_depth = 1u << 20;
    Result<Document> fd = Read(*f, ro);
    if (!fd.ok()) return "formatted text does not read: " + fd.error().ToString() + "\n" + *f;
    if (fd->roots().size() != doc.roots().size()) return "format changed the number of forms";
    for (size_t i = 0; i < doc.roots().size(); ++i) {
      Result<std::string> a = Canonical(doc.roots()[i]);
      Result<std::string> b = Canonical(fd->roots()[i]);
      if (a.ok() != b.ok() || (a.ok() && *a != *b)) {
        return "format changed the canonical form:\n" + *f;
      }
    }
  }
  return "";
}

inline std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    std::abort();
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Name and contents of each regular file in SEXP_SOURCE_DIR/`subdir` whose
// name ends in `suffix` ("" for all), sorted by name.
inline std::vector<std::pair<std::string, std::string>> SourceFiles(
    const std::string& subdir, const std::string& suffix = "") {
  std::vector<std::pair<std::string, std::string>> files;
  std::filesystem::path dir = std::filesystem::path(SEXP_SOURCE_DIR) / subdir;
  if (!std::filesystem::is_directory(dir)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.size() < suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    files.emplace_back(name, ReadFileOrDie(entry.path().string()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace sexp::testing

#endif  // SEXP_TESTS_TEST_UTIL_H_
