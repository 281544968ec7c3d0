// `sexp ap to-json FILE` and `sexp ap from-json FILE`: the CLI's face of
// the ActivityStreams bridge (sexp/ap/bridge.h, spec/activitypub.md).
#ifndef SEXP_TOOLS_AP_COMMANDS_H_
#define SEXP_TOOLS_AP_COMMANDS_H_

namespace CLI {
class App;
}

namespace sexp::cli {

// Adds `ap` and its subcommands to `app`; RunApCommand runs the one parsed
// (returns -1 when none was).
void AddApCommands(CLI::App& app);
int RunApCommand();

}  // namespace sexp::cli

#endif  // SEXP_TOOLS_AP_COMMANDS_H_
