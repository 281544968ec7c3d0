// sx_core — the embeddable core alone (sexp::core): reads sx from a file or
// stdin, prints each expression's canonical form and CID, then the value of
// evaluating the last one.
//
//   $ echo '(+ 1 2)' | sx_core
//   (+ 1 2)
//     bafkrmi...
//   = 3
//
// Only headers of the core, wire and eval areas are included: the program
// builds and links without the HTML, cache, web or QUIC parts of libsexp.
// Exit status: 0, or 1 with "LINE:COL: error-name: message" on stderr.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "sexp/core/address.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"
#include "sexp/eval/eval.h"

int main(int argc, char** argv) {
  std::string text;
  if (argc > 1) {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot open %s\n", argv[1]);
      return 1;
    }
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  sexp::Result<sexp::Document> doc = sexp::Read(text);
  if (!doc.ok()) {
    std::fprintf(stderr, "%s\n", doc.error().ToString().c_str());
    return 1;
  }
  for (const sexp::Node& form : doc->roots()) {
    sexp::Result<std::string> canonical = sexp::Canonical(form);
    if (!canonical.ok()) {
      sexp::Error error = canonical.error();
      doc->Locate(&error);
      std::fprintf(stderr, "%s\n", error.ToString().c_str());
      return 1;
    }
    std::printf("%s\n  %s\n", canonical->c_str(), sexp::Sha3_256(*canonical).cid().c_str());
  }
  sexp::Environment env;
  sexp::EvalResult r = env.Eval(text, argc > 1 ? argv[1] : "<stdin>");
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
    return 1;
  }
  std::printf("= %s\n", sexp::ToText(*r).c_str());
  return 0;
}
