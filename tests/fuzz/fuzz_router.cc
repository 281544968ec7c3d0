// libFuzzer target: routes (sexp/web/router.h). The input's lines: the first few
// are patterns added to a router (each ok or refused, never a crash), the
// rest request targets matched against it. Invariants: a match names a
// route that was added, with one parameter per parameter of its pattern; a
// pattern added twice is refused the second time; PercentDecode never grows
// its input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "sexp/web/router.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string_view> lines = sexp_fuzz::Lines(input);
  sexp::Router router;
  std::vector<size_t> params_of;  // per added route: its parameter count
  size_t patterns = lines.size() / 2;
  for (size_t i = 0; i < patterns; ++i) {
    size_t params = 0;
    for (char c : lines[i]) params += c == ':';
    if (router.Add(lines[i], params_of.size()).ok()) {
      params_of.push_back(params);
      FUZZ_CHECK(!router.Add(lines[i], 999).ok());
    }
  }
  for (size_t i = patterns; i < lines.size(); ++i) {
    auto m = router.Match(lines[i]);
    if (m.has_value()) {
      FUZZ_CHECK(m->route < params_of.size());
      FUZZ_CHECK(m->params.size() <= params_of[m->route]);
    }
    std::string decoded;
    if (sexp::PercentDecode(lines[i], &decoded)) FUZZ_CHECK(decoded.size() <= lines[i].size());
  }
  return 0;
}
