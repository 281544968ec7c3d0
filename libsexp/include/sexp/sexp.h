// sexp/sexp.h — umbrella header for libsexp.
//
// libsexp reads s-expressions ("sx") into an arena AST, writes them in
// canonical form v1 and a readable layout, and names them by content
// (SHA3-256, CIDv1), and reads HTML into sx (HtmlToSx). See spec/ for the
// grammar, the canonical form and the HTML mapping.
//
//   #include "sexp/sexp.h"
//
//   sexp::Result<sexp::Document> doc = sexp::Read("(p :class \"x\" \"hi\")");
//   if (!doc.ok()) return Report(doc.error());          // line:col: message
//   for (const sexp::Node& form : doc->roots()) {
//     std::string text = *sexp::Canonical(form);         // canonical bytes
//     std::string cid = sexp::HashNode(form)->cid();     // "bafkrmi..."
//   }
#ifndef SEXP_SEXP_H_
#define SEXP_SEXP_H_

#include "sexp/address.h"
#include "sexp/arena.h"
#include "sexp/ast.h"
#include "sexp/cache.h"
#include "sexp/error.h"
#include "sexp/eval.h"
#include "sexp/frame.h"
#include "sexp/html.h"
#include "sexp/html_reader.h"
#include "sexp/message.h"
#include "sexp/pipeline.h"
#include "sexp/reader.h"
#include "sexp/resolver.h"
#include "sexp/router.h"
#include "sexp/version.h"
#include "sexp/writer.h"

#endif  // SEXP_SEXP_H_
