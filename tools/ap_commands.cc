// The ActivityStreams subcommands. Exit codes as the rest of the CLI: 0
// success, 1 bad input (the error with its position on stderr, nothing on
// stdout), 2 usage.
#include "ap_commands.h"

#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "cli_io.h"
#include "sexp/ap/bridge.h"
#include "sexp/core/reader.h"
#include "sexp/core/writer.h"

namespace sexp::cli {
namespace {

struct Options {
  std::string file;
  bool verified = false;
  bool no_sexpr = false;
  bool stats = false;
  size_t max_depth = ap::FromJsonOptions{}.max_depth;
  size_t max_bytes = ap::FromJsonOptions{}.max_bytes;
  size_t max_content_bytes = ap::FromJsonOptions{}.max_content_bytes;
};

Options opt;
CLI::App* to_json_cmd = nullptr;
CLI::App* from_json_cmd = nullptr;

int RunFromJson() {
  std::string json;
  if (!Slurp(opt.file, &json)) return 1;
  ap::FromJsonOptions o;
  o.signature_verified = opt.verified;
  o.max_depth = opt.max_depth;
  o.max_bytes = opt.max_bytes;
  o.max_content_bytes = opt.max_content_bytes;
  ap::FromJsonStats stats;
  Result<Document> doc = ap::FromJson(json, o, &stats);
  if (!doc.ok()) {
    Report(opt.file, doc.error());
    return 1;
  }
  Result<std::string> text = Canonical(doc->roots()[0]);
  if (!text.ok()) {
    Report(opt.file, text.error());
    return 1;
  }
  if (opt.stats) {
    std::fprintf(stderr,
                 "objects %zu, contents %zu (from rose:sexpr %zu, rejected %zu), public aliases "
                 "merged %zu; sanitized: %zu elements dropped, %zu unwrapped, %zu attributes "
                 "dropped, %zu unsafe URLs\n",
                 stats.objects, stats.contents, stats.sexpr_contents, stats.sexpr_rejected,
                 stats.public_aliases_merged, stats.dropped_elements, stats.unwrapped_elements,
                 stats.dropped_attributes, stats.unsafe_urls);
  }
  return Emit(*text + "\n");
}

int RunToJson() {
  std::string text;
  if (!Slurp(opt.file, &text)) return 1;
  ReadOptions ro;
  ro.max_depth = opt.max_depth;
  Result<Document> doc = ReadOne(text, ro);
  if (!doc.ok()) {
    Report(opt.file, doc.error());
    return 1;
  }
  ap::ToJsonOptions o;
  o.write_sexpr = !opt.no_sexpr;
  o.default_context = !opt.no_sexpr;
  Result<std::string> json = ap::ToJson(*doc, o);
  if (!json.ok()) {
    Report(opt.file, json.error());
    return 1;
  }
  return Emit(*json + "\n");
}

}  // namespace

void AddApCommands(CLI::App& app) {
  CLI::App* ap = app.add_subcommand("ap", "ActivityStreams 2.0 JSON-LD <-> sx (spec/activitypub.md)");
  ap->require_subcommand(1);
  from_json_cmd = ap->add_subcommand("from-json", "AS2 JSON -> canonical sx (content sanitized)");
  from_json_cmd->add_option("FILE", opt.file, "JSON file, or - for stdin")->required();
  from_json_cmd->add_flag("--verified", opt.verified,
                          "the activity's signature was verified: use rose:sexpr as the content");
  from_json_cmd->add_option("--max-bytes", opt.max_bytes, "largest JSON text")->capture_default_str();
  from_json_cmd->add_option("--max-content-bytes", opt.max_content_bytes, "largest content string")
      ->capture_default_str();
  from_json_cmd->add_option("--max-depth", opt.max_depth, "deepest sx nesting")->capture_default_str();
  from_json_cmd->add_flag("--stats", opt.stats, "print what was sanitized or merged to stderr");
  to_json_cmd = ap->add_subcommand("to-json", "sx activity -> compact AS2 JSON");
  to_json_cmd->add_option("FILE", opt.file, "sx file (one expression), or - for stdin")->required();
  to_json_cmd->add_flag("--no-sexpr", opt.no_sexpr,
                        "write only what the sx holds: no rose:sexpr, no @context of our own");
  to_json_cmd->add_option("--max-depth", opt.max_depth, "deepest sx nesting read")
      ->capture_default_str();
}

int RunApCommand() {
  if (from_json_cmd != nullptr && from_json_cmd->parsed()) return RunFromJson();
  if (to_json_cmd != nullptr && to_json_cmd->parsed()) return RunToJson();
  return -1;
}

}  // namespace sexp::cli
