#include "cli_io.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace sexp::cli {

std::string DisplayName(const std::string& file) { return file == "-" ? "<stdin>" : file; }

bool Slurp(const std::string& file, std::string* out) {
  if (file == "-") {
    out->assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "sexp: cannot open '%s'\n", file.c_str());
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = std::move(ss).str();
  return true;
}

void Report(const std::string& file, const Error& e) {
  std::string code(ErrorCodeName(e.code));
  if (e.line > 0) {
    std::fprintf(stderr, "%s:%u:%u: %s: %s\n", DisplayName(file).c_str(), e.line, e.column,
                 code.c_str(), e.message.c_str());
  } else {
    std::fprintf(stderr, "%s: %s: %s\n", DisplayName(file).c_str(), code.c_str(),
                 e.message.c_str());
  }
}

int Emit(std::string_view out) {
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace sexp::cli
