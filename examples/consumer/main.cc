// sx_canon — prints the canonical form and content address of each sx
// expression in a file (or stdin); with --html, of the sx of an HTML text.
//
//   $ echo '(Create :id 1 :actor a (Note))' | sx_canon
//   (Create :actor a :id 1 (Note))
//     bafkrmi...
//   $ echo -n '<p>hello</p>' | sx_canon --html
//   (p "hello")
//     bafkrmidwcvtmu5jpuqc2yesf263ca6achethqsbam5w7cuqdbucahqxde4
//
// On bad input it prints "LINE:COL: error-name: message" to stderr and exits 1.
// Only libsexp's public API is used: read with sexp::Read (or
// sexp::HtmlToSx), write with sexp::Canonical, hash with sexp::Sha3_256.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "sexp/sexp.h"

int main(int argc, char** argv) {
  bool html = argc > 1 && std::string(argv[1]) == "--html";
  if (html) {
    --argc;
    ++argv;
  }
  if (argc > 2) {
    std::fprintf(stderr, "usage: %s [--html] [FILE]\n", argv[0]);
    return 2;
  }

  // Slurp the whole input: the reader takes a complete text.
  std::string text;
  if (argc == 2) {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot open\n", argv[1]);
      return 1;
    }
    text.assign(std::istreambuf_iterator<char>(in), {});
  } else {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  }

  // Read every top-level expression. Errors carry line, column and the code.
  // (HTML has no syntax errors: HtmlToSx fails only on its limits.)
  sexp::Result<sexp::Document> doc = html ? sexp::HtmlToSx(text) : sexp::Read(text);
  if (!doc.ok()) {
    std::fprintf(stderr, "%s\n", doc.error().ToString().c_str());
    return 1;
  }

  for (const sexp::Node& form : doc->roots()) {
    // Canonical form fails only for a keyword repeated among one list's
    // pairs, e.g. (p :id 1 :id 2). Writers report a byte offset; the
    // document turns it into a line and column.
    sexp::Result<std::string> canonical = sexp::Canonical(form);
    if (!canonical.ok()) {
      sexp::Error error = canonical.error();
      doc->Locate(&error);
      std::fprintf(stderr, "%s\n", error.ToString().c_str());
      return 1;
    }
    // The content address: SHA3-256 of the canonical bytes, as a CIDv1.
    // (sexp::HashNode(form) gives the same digest without building the text.)
    sexp::Digest digest = sexp::Sha3_256(*canonical);
    std::printf("%s\n  %s\n", canonical->c_str(), digest.cid().c_str());
  }
  return 0;
}
