// `sexp host SITE_DIR`: the CLI's face of sexp::host (spec/host.md).
#ifndef SEXP_TOOLS_HOST_COMMAND_H_
#define SEXP_TOOLS_HOST_COMMAND_H_

#include "CLI/CLI.hpp"

namespace sexp::cli {

// Adds the `host` subcommand to `app`.
void AddHostCommand(CLI::App& app);
// Runs it when it was parsed: its exit status, else -1. Serves until
// SIGINT/SIGTERM (graceful: in-flight requests finish); SIGHUP reloads the
// site, keeping the old one when the new does not load.
int RunHostCommand();

}  // namespace sexp::cli

#endif  // SEXP_TOOLS_HOST_COMMAND_H_
