// libFuzzer target: structured fields (RFC 8941), raw HTTP/1.1 messages and
// HTTP signature verification (sexp/sig/structured_fields.h, http1.h,
// httpsig.h).
//
// The input is tried three ways. Invariants:
//   - as a structured field (dictionary, list, item): a parse that succeeds
//     serializes, and the serialization parses back to the same
//     serialization (serialization is canonical);
//   - as an HTTP/1.1 message: ParseHttp1 answers; a message that parses is
//     verified with a fixed key (never accepted: the fuzzer cannot forge),
//     and its signature base for a fixed input list either fails cleanly or
//     holds one line per covered component plus @signature-params; writing
//     it back and reading that again does not crash;
//   - as a cavage Signature field value on a fixed request: never accepted.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "sexp/sig/http1.h"
#include "sexp/sig/httpsig.h"
#include "sexp/sig/structured_fields.h"

namespace {

namespace sf = sexp::sig::sf;
using sexp::sig::SigResult;

const sexp::sig::Key& Pub() {
  static const sexp::sig::Key* key =
      new sexp::sig::Key(sexp::sig::Key::Generate(sexp::sig::KeyType::kEd25519)->PublicOnly());
  return *key;
}

template <class T, class P, class S>
void RoundTrip(std::string_view field, P parse, S serialize) {
  SigResult<T> v = parse(field, sf::Limits{});
  if (!v.ok()) return;
  SigResult<std::string> text = serialize(*v);
  if (!text.ok()) return;  // e.g. a decimal out of the serializable range
  SigResult<T> again = parse(*text, sf::Limits{});
  FUZZ_CHECK(again.ok());
  SigResult<std::string> text2 = serialize(*again);
  FUZZ_CHECK(text2.ok() && *text2 == *text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  RoundTrip<sf::Dictionary>(in, sf::ParseDictionary, sf::SerializeDictionary);
  RoundTrip<sf::List>(in, sf::ParseList, sf::SerializeList);
  RoundTrip<sf::Item>(in, sf::ParseItem, sf::SerializeItem);

  auto resolver = [](std::string_view) -> SigResult<sexp::sig::Key> { return Pub(); };
  sexp::sig::HttpVerifyOptions o;
  o.now = 1733500000;
  o.require_target = false;
  o.require_digest = false;
  o.allowed = sexp::sig::AlgSet::All();
  SigResult<sexp::sig::HttpMessage> m = sexp::sig::ParseHttp1(in);
  if (m.ok()) {
    FUZZ_CHECK(!sexp::sig::VerifyMessage(*m, resolver, o).ok());
    (void)sexp::sig::SignatureKeyIds(*m);
    SigResult<std::string> base = sexp::sig::SignatureBase(
        *m, "(\"@method\" \"@path\" \"@query\" \"host\" \"content-digest\";sf);created=1");
    if (base.ok()) {
      size_t lines = 1;
      for (char c : *base) lines += c == '\n';
      FUZZ_CHECK(lines == 6);
    }
    (void)sexp::sig::ParseHttp1(sexp::sig::WriteHttp1(*m));
  }
  sexp::sig::HttpMessage fixed = sexp::sig::HttpMessage::Request(
      "POST", "https://b.example/inbox", {{"Host", "b.example"}, {"Signature", std::string(in)}}, "");
  FUZZ_CHECK(!sexp::sig::VerifyMessage(fixed, resolver, o).ok());
  return 0;
}
