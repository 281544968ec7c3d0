// libFuzzer target: the HTTP negotiation every host shares
// (sexp/web/negotiate.h), on the three request headers it parses — Accept,
// If-None-Match and Sexpr-Have. The input's lines are header values; each
// is read as all three.
//
// Invariants:
//   - WantsSx agrees with ParseAccept (sx above 0 and at least HTML), and
//     q-values stay in [0, 1];
//   - an ETag list matches every tag it names (the line's own tag, put
//     before or after it, weak or strong), and "*" matches any tag;
//   - Sexpr-Have names an address when the address is added to the line,
//     as text or as a CID, and the answer never depends on trailing
//     separators;
//   - nothing crashes or reads outside the header.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "sexp/core/address.h"
#include "sexp/web/negotiate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string_view> lines = sexp_fuzz::Lines(input);
  for (std::string_view line : lines) {
    sexp::AcceptQuality q = sexp::ParseAccept(line);
    FUZZ_CHECK(q.sx >= 0 && q.sx <= 1 && q.html >= 0 && q.html <= 1);
    FUZZ_CHECK(sexp::WantsSx(line) == (q.sx > 0 && q.sx >= q.html));

    const sexp::Digest digest = sexp::Sha3_256(line);
    const std::string tag = sexp::SxEtag(digest);
    const std::string html_tag = sexp::HtmlEtag(line, "");
    FUZZ_CHECK(tag != html_tag);
    sexp::IfNoneMatchMatches(line, tag);
    FUZZ_CHECK(sexp::IfNoneMatchMatches("*", tag));
    FUZZ_CHECK(sexp::IfNoneMatchMatches(tag, tag));
    FUZZ_CHECK(sexp::IfNoneMatchMatches("W/" + tag, tag));
    FUZZ_CHECK(sexp::IfNoneMatchMatches(tag + ", " + std::string(line), tag) ||
               line.find('"') != std::string_view::npos);
    FUZZ_CHECK(sexp::IfNoneMatchMatches(std::string(line) + ", " + tag, tag) ||
               line.find('"') != std::string_view::npos);

    bool named = sexp::HaveNames(line, digest);
    FUZZ_CHECK(named == sexp::HaveNames(std::string(line) + " ,", digest));
    FUZZ_CHECK(sexp::HaveNames(std::string(line) + ", " + digest.hex_address(), digest) ||
               line.find('"') != std::string_view::npos);
    FUZZ_CHECK(sexp::HaveNames(digest.cid() + ", " + std::string(line), digest));
    FUZZ_CHECK(sexp::HaveNames(tag, digest));
  }
  return 0;
}
