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

// core: the syntax (arena, AST, reader, canonical writer, content addresses)
#include "sexp/core/address.h"
#include "sexp/core/arena.h"
#include "sexp/core/ast.h"
#include "sexp/core/error.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"
#include "sexp/version.h"
// wire: frames and messages between peers
#include "sexp/wire/frame.h"
#include "sexp/wire/message.h"
// eval: the evaluator (environment, primitives, limits)
#include "sexp/eval/eval.h"
#include "sexp/sig/envelope.h"
#include "sexp/sig/httpsig.h"
#include "sexp/sig/key.h"
#include "sexp/sig/structured_fields.h"
// html: the renderer and the HTML reader
#include "sexp/html/reader.h"
#include "sexp/html/render.h"

#include "sexp/ap/bridge.h"
// cache: the subtree cache and its tiers
#include "sexp/cache/cache.h"
// web: routes, the resolver of batched I/O, the page pipeline
#include "sexp/web/pipeline.h"
#include "sexp/web/resolver.h"
#include "sexp/web/request.h"
#include "sexp/web/router.h"
// (net: the QUIC transport is a target of its own: include "sexp/net/quic.h".)

#endif  // SEXP_SEXP_H_
