// libFuzzer target: canonical form and pretty-printer round trips.
//
// Reads the input (max_depth 256, max_size 1 MiB). For each root x whose
// canonical form exists (spec/canonical.md):
//   - canonical(x) reads back with ReadOne, and canonical of that is
//     byte-for-byte canonical(x) (idempotence);
//   - Equal(parse(canonical(x)), parse(canonical(parse(canonical(x)))));
//   - HashNode(x) == Sha3_256(canonical(x)), and its text forms parse back;
//   - WriteCanonical streamed into a sink gives the same bytes.
// When canonical(x) does not exist, HashNode fails the same way and the error
// is a duplicate keyword with a position in the source.
// Then Format(doc) (default layout and a narrow one chosen by the last input
// byte) must read back to a document whose roots have the same canonical
// texts, root for root.
//
// Any violation calls __builtin_trap() after printing what failed.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "sexp/core/address.h"
#include "fuzz_check.h"
#include "sexp/core/ast.h"
#include "sexp/core/error.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"

namespace {

using sexp_fuzz::kMaxDepth;
using sexp_fuzz::kMaxSize;

// Re-reading our own output: the same depth limit (canonical form and the
// pretty-printer keep nesting), but room for growth (escapes, sugar spelled
// out, indentation).
sexp::ReadOptions RereadOptions() {
  sexp::ReadOptions o;
  o.max_depth = kMaxDepth;
  return o;
}

// Canonical text of `n`, checked against the streaming writer and HashNode.
// Returns false (with *error set) when `n` has no canonical form.
bool CanonicalChecked(const sexp::Node& n, std::string* text,
                      sexp::Error* error) {
  sexp::Result<std::string> c = sexp::Canonical(n);
  sexp::Result<sexp::Digest> h = sexp::HashNode(n);
  std::string streamed;
  sexp::StringSink sink(&streamed);
  sexp::Error w = sexp::WriteCanonical(n, sink);
  FUZZ_CHECK(c.ok() == h.ok());
  FUZZ_CHECK(c.ok() == w.ok());
  if (!c.ok()) {
    FUZZ_CHECK(h.error().code == c.error().code);
    FUZZ_CHECK(w.code == c.error().code);
    FUZZ_CHECK(!c.error().message.empty());
    *error = c.error();
    return false;
  }
  FUZZ_CHECK(streamed == *c);
  FUZZ_CHECK(*h == sexp::Sha3_256(*c));
  *text = std::move(c.value());
  return true;
}

void CheckDigest(const sexp::Digest& d) {
  std::string hex = d.hex();
  FUZZ_CHECK(hex.size() == 64);
  FUZZ_CHECK(d.hex_address() == "sha3-" + hex);
  std::string cid = d.cid();
  FUZZ_CHECK(cid.compare(0, 7, "bafkrmi") == 0);
  sexp::Result<sexp::Digest> from_cid = sexp::ParseAddress(cid);
  FUZZ_CHECK(from_cid.ok() && *from_cid == d);
  sexp::Result<sexp::Digest> from_hex = sexp::ParseAddress(d.hex_address());
  FUZZ_CHECK(from_hex.ok() && *from_hex == d);
}

// Format(doc) reads back to roots with the same canonical texts (or the same
// canonical failure) as doc's.
void CheckFormat(const sexp::Document& doc, const sexp::FormatOptions& fo) {
  sexp::Result<std::string> f = sexp::Format(doc, fo);
  // A read document has only finite floats, so it always has an sx form.
  FUZZ_CHECK(f.ok());
  if (doc.roots().empty()) {
    FUZZ_CHECK(f->empty());
    return;
  }
  FUZZ_CHECK(f->back() == '\n');
  sexp::Result<sexp::Document> back = sexp::Read(*f, RereadOptions());
  if (!back.ok()) {
    std::fprintf(stderr, "formatted text does not read back: %s\n",
                 back.error().ToString().c_str());
  }
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(back->roots().size() == doc.roots().size());
  for (size_t i = 0; i < doc.roots().size(); ++i) {
    std::string a, b;
    sexp::Error ea, eb;
    bool oka = CanonicalChecked(doc.roots()[i], &a, &ea);
    bool okb = CanonicalChecked(back->roots()[i], &b, &eb);
    FUZZ_CHECK(oka == okb);
    if (oka) {
      FUZZ_CHECK(a == b);
    } else {
      FUZZ_CHECK(ea.code == eb.code);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  sexp::ReadOptions options;
  options.max_depth = kMaxDepth;
  options.max_size = kMaxSize;
  sexp::Result<sexp::Document> doc = sexp::Read(input, options);
  if (!doc.ok()) return 0;

  for (const sexp::Node& x : doc->roots()) {
    std::string c1;
    sexp::Error err;
    if (!CanonicalChecked(x, &c1, &err)) {
      // Read documents have finite floats and distinct dict keys; only a
      // keyword repeated among one list's pairs has no canonical form.
      FUZZ_CHECK(err.code == sexp::ErrorCode::kDuplicateKey);
      FUZZ_CHECK(err.offset != sexp::kNoOffset);
      FUZZ_CHECK(err.offset < doc->source().size());
      FUZZ_CHECK(doc->source()[err.offset] == ':');
      doc->Locate(&err);
      FUZZ_CHECK(err.line >= 1 && err.column >= 1);
      continue;
    }
    // Canonical text: no whitespace but single spaces between elements.
    FUZZ_CHECK(!c1.empty());
    FUZZ_CHECK(c1.front() != ' ' && c1.back() != ' ');
    FUZZ_CHECK(c1.find_first_of("\n\r\t") == std::string::npos);

    // parse(canonical(x)) reads, and its canonical form is the same bytes.
    sexp::Result<sexp::Document> p1 = sexp::ReadOne(c1, RereadOptions());
    if (!p1.ok()) {
      std::fprintf(stderr, "canonical text does not read back: %s\n",
                   p1.error().ToString().c_str());
    }
    FUZZ_CHECK(p1.ok());
    std::string c2;
    FUZZ_CHECK(CanonicalChecked(p1->roots()[0], &c2, &err));
    FUZZ_CHECK(c2 == c1);

    // parse(canonical(parse(canonical(x)))) equals parse(canonical(x)).
    sexp::Result<sexp::Document> p2 = sexp::ReadOne(c2, RereadOptions());
    FUZZ_CHECK(p2.ok());
    FUZZ_CHECK(sexp::Equal(p1->roots()[0], p2->roots()[0]));
    FUZZ_CHECK(sexp::Equal(p2->roots()[0], p1->roots()[0]));

    // The address is the SHA3-256 of the canonical bytes.
    sexp::Result<sexp::Digest> h = sexp::HashNode(x);
    FUZZ_CHECK(h.ok());
    FUZZ_CHECK(*h == sexp::Sha3_256(c1));
    CheckDigest(*h);
  }

  CheckFormat(*doc, sexp::FormatOptions{});
  // A narrow layout forces line breaks at most levels.
  uint8_t last = size > 0 ? data[size - 1] : 0;
  sexp::FormatOptions narrow;
  narrow.width = 4 + (last & 63);
  narrow.indent = last >> 6;
  CheckFormat(*doc, narrow);
  return 0;
}
