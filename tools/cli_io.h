// What every `sexp` subcommand does with its input and errors: read a whole
// file (or stdin for "-") and report an sexp::Error as "FILE:LINE:COL: code:
// message" on stderr. One home, so every command speaks the same way.
#ifndef SEXP_TOOLS_CLI_IO_H_
#define SEXP_TOOLS_CLI_IO_H_

#include <string>
#include <string_view>

#include "sexp/core/error.h"

namespace sexp::cli {

// "<stdin>" for "-", else the file name.
std::string DisplayName(const std::string& file);
// Reads the whole of `file` ("-": stdin); false, with a message on stderr,
// if it cannot be opened.
bool Slurp(const std::string& file, std::string* out);
// "FILE:LINE:COL: code: message" (or "FILE: code: message" without a
// position) on stderr.
void Report(const std::string& file, const Error& e);
// Writes the whole output at once (it was built first, so bad input never
// leaves a partial one); 0, or 1 when the write failed.
int Emit(std::string_view out);

}  // namespace sexp::cli

#endif  // SEXP_TOOLS_CLI_IO_H_
