// `sexp keygen`, `sexp sign`, `sexp verify`, `sexp httpsig sign|verify`: the
// CLI's face of sexp::sig (spec/signatures.md).
#ifndef SEXP_TOOLS_SIG_COMMANDS_H_
#define SEXP_TOOLS_SIG_COMMANDS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace sexp::cli {

// Adds the subcommands to `app`; RunSigCommand runs the one parsed (returns
// -1 when none of them was).
void AddSigCommands(CLI::App& app);
int RunSigCommand();

}  // namespace sexp::cli

#endif  // SEXP_TOOLS_SIG_COMMANDS_H_
