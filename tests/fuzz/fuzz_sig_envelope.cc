// libFuzzer target: signed sx envelopes (sexp/sig/envelope.h).
//
// The input is sx text. Invariants:
//   - ParseEnvelope answers (an envelope or malformed) without crashing;
//   - Verify with a fixed Ed25519 key never accepts (the fuzzer cannot forge
//     a signature) and never calls the resolver for an envelope that did not
//     parse, nor more often than there are signatures;
//   - signing any expression that has a canonical form gives text that reads
//     back and verifies, and CoSign of that verifies twice.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "sexp/core/reader.h"
#include "sexp/sig/envelope.h"

namespace {

const sexp::sig::Key& FixedKey() {
  // Generated once per process: the fuzzer's inputs cannot know it.
  static const sexp::sig::Key* key =
      new sexp::sig::Key(*sexp::sig::Key::Generate(sexp::sig::KeyType::kEd25519));
  return *key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sexp::ReadOptions ro;
  ro.max_depth = 200;
  sexp::Result<sexp::Document> doc = sexp::Read(text, ro);
  if (!doc.ok()) return 0;
  const sexp::sig::Key& key = FixedKey();
  sexp::sig::Key pub = key.PublicOnly();
  for (const sexp::Node& root : doc->roots()) {
    sexp::sig::SigResult<sexp::sig::Envelope> env = sexp::sig::ParseEnvelope(root);
    size_t lookups = 0;
    sexp::sig::VerifyOptions vo;
    vo.now = 1733500000;
    vo.allowed = sexp::sig::AlgSet::All();
    auto resolver = [&](std::string_view) -> sexp::sig::SigResult<sexp::sig::Key> {
      ++lookups;
      return pub;
    };
    auto v = sexp::sig::Verify(root, resolver, vo);
    FUZZ_CHECK(!v.ok());
    if (!env.ok()) {
      FUZZ_CHECK(lookups == 0);
      FUZZ_CHECK(v.error().code == env.error().code);
    } else {
      FUZZ_CHECK(lookups <= env->signatures.size());
    }
    // Sign it, read it back, verify; co-sign, verify both.
    sexp::sig::SignOptions so{"k", std::nullopt, 1733500000};
    sexp::sig::SigResult<std::string> signed_text = sexp::sig::Sign(root, key, so);
    if (!signed_text.ok()) continue;  // no canonical form (a repeated keyword)
    sexp::ReadOptions big;
    big.max_depth = 400;
    sexp::Result<sexp::Document> back = sexp::ReadOne(*signed_text, big);
    FUZZ_CHECK(back.ok());
    lookups = 0;
    auto ok = sexp::sig::Verify(back->roots()[0], resolver, vo);
    FUZZ_CHECK(ok.ok() && lookups == 1);
    sexp::sig::SigResult<std::string> co = sexp::sig::CoSign(back->roots()[0], key, so);
    FUZZ_CHECK(co.ok());
    sexp::Result<sexp::Document> co_doc = sexp::ReadOne(*co, big);
    FUZZ_CHECK(co_doc.ok());
    auto both = sexp::sig::Verify(co_doc->roots()[0], resolver, vo);
    FUZZ_CHECK(both.ok() && both->size() == 2);
  }
  return 0;
}
