// libFuzzer target: the ActivityStreams bridge (sexp/ap/bridge.h).
//
// The input is tried as JSON (FromJson, unverified and verified) and, when
// it starts with '(' or '{' and reads as sx, as an activity to write
// (ToJson). Invariants:
//   - JSON that converts has a canonical text that reads back to itself;
//   - what FromJson made, ToJson writes (nothing it makes lacks a JSON
//     form), and FromJson of that JSON gives the same sx again: content
//     re-rendered and re-read is stable, names and numbers round-trip;
//   - sx that ToJson writes is JSON that FromJson reads.
// Limits are small so that one input stays fast (deep HTML in gumbo is
// O(depth) per tag).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "sexp/ap/bridge.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"

namespace {

using sexp::Document;
using sexp::Result;

sexp::ap::FromJsonOptions Options(bool verified) {
  sexp::ap::FromJsonOptions o;
  o.max_bytes = sexp_fuzz::kMaxSize;
  o.max_depth = 64;
  o.max_content_bytes = 64 << 10;
  o.content_timeout = std::chrono::milliseconds(2000);
  o.signature_verified = verified;
  return o;
}

// ToJson of `doc`'s root (only what the sx holds) read back unverified;
// both steps must succeed.
std::string WrittenAndRead(const Document& doc) {
  sexp::ap::ToJsonOptions to;
  to.write_sexpr = false;
  to.default_context = false;
  Result<std::string> out = sexp::ap::ToJson(doc.roots()[0], to);
  FUZZ_CHECK(out.ok());
  sexp::ap::FromJsonOptions back = Options(false);
  back.max_bytes = 8 * sexp_fuzz::kMaxSize;  // rendering may escape and grow
  Result<Document> reread = sexp::ap::FromJson(*out, back);
  FUZZ_CHECK(reread.ok());
  Result<std::string> text = sexp::Canonical(reread->roots()[0]);
  FUZZ_CHECK(text.ok());
  return *text;
}

void FromJsonRoundTrip(std::string_view json, bool verified) {
  Result<Document> doc = sexp::ap::FromJson(json, Options(verified));
  if (!doc.ok()) return;
  Result<std::string> text = sexp::Canonical(doc->roots()[0]);
  FUZZ_CHECK(text.ok());
  sexp::ReadOptions ro;
  ro.max_depth = 64;
  Result<Document> again = sexp::ReadOne(*text, ro);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*sexp::Canonical(again->roots()[0]) == *text);
  std::string once = WrittenAndRead(*doc);
  if (!verified) {
    // Content from HTML is what rendering and reading it again gives.
    FUZZ_CHECK(once == *text);
    return;
  }
  // Content from a peer's sx need not be (two strings side by side render
  // as one text); once written as HTML and read back, it is.
  Result<Document> normalized = sexp::ReadOne(once, ro);
  FUZZ_CHECK(normalized.ok());
  FUZZ_CHECK(WrittenAndRead(*normalized) == once);
}

void ToJsonReadsBack(std::string_view sx) {
  sexp::ReadOptions ro;
  ro.max_depth = 64;
  ro.max_size = sexp_fuzz::kMaxSize;
  Result<Document> doc = sexp::ReadOne(sx, ro);
  if (!doc.ok()) return;
  sexp::ap::ToJsonOptions to;
  to.max_output_bytes = 8 * sexp_fuzz::kMaxSize;
  to.max_render_bytes = 8 * sexp_fuzz::kMaxSize;
  Result<std::string> json = sexp::ap::ToJson(*doc, to);
  if (!json.ok()) return;
  sexp::ap::FromJsonOptions back = Options(true);
  back.max_bytes = 16 * sexp_fuzz::kMaxSize;
  back.max_content_bytes = 16 * sexp_fuzz::kMaxSize;
  Result<Document> reread = sexp::ap::FromJson(*json, back);
  // Deeper content than 64 may be refused; nothing else.
  FUZZ_CHECK(reread.ok() || reread.error().code == sexp::ErrorCode::kDepthLimit ||
             reread.error().code == sexp::ErrorCode::kTimeout ||
             reread.error().code == sexp::ErrorCode::kParserFailure);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > sexp_fuzz::kMaxSize) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  FromJsonRoundTrip(input, false);
  FromJsonRoundTrip(input, true);
  if (!input.empty() && (input[0] == '(' || input[0] == '{')) ToJsonReadsBack(input);
  return 0;
}
