// The language conformance suite: every tests/eval/conformance/*.sx file, form by form.
// (check EXPR EXPECTED) evaluates EXPR and compares its canonical text with
// the canonical text of EXPECTED (a datum, not evaluated); (check-error EXPR
// "code") expects an evaluation error with that code; any other form is
// evaluated and must succeed. spec/evaluation.md follows these files.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

std::vector<std::string> SuiteFiles() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(SEXP_EVAL_SUITE_DIR)) {
    if (entry.path().extension() == ".sx") files.push_back(entry.path().stem().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(Conformance, File) {
  std::string path = std::string(SEXP_EVAL_SUITE_DIR) + "/" + GetParam() + ".sx";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto doc = Read(text);
  ASSERT_TRUE(doc.ok()) << doc.error().ToString();
  Environment env;
  int checks = 0;
  for (const Node& form : doc->roots()) {
    Position where = doc->position(form);
    std::string at = path + ":" + std::to_string(where.line);
    bool is_check = form.is_list() && form.size() == 3 && form[0].is_symbol("check");
    bool is_error = form.is_list() && form.size() == 3 && form[0].is_symbol("check-error");
    if (!is_check && !is_error) {
      EvalResult r = env.Eval(*Canonical(form), path);
      EXPECT_TRUE(r.ok()) << at << ": " << r.error().ToString();
      continue;
    }
    ++checks;
    EvalResult r = env.Eval(*Canonical(form[1]), path);
    if (is_check) {
      if (!r.ok()) {
        ADD_FAILURE() << at << ": " << r.error().ToString();
        continue;
      }
      EXPECT_EQ(ToText(r.value()), *Canonical(form[2])) << at;
    } else {
      ASSERT_TRUE(form[2].is_string()) << at;
      if (r.ok()) {
        ADD_FAILURE() << at << ": expected error " << form[2].str() << ", got "
                      << ToText(r.value());
        continue;
      }
      EXPECT_EQ(r.error().code, form[2].str()) << at << ": " << r.error().ToString();
    }
  }
  EXPECT_GE(checks, 3) << "a suite file without checks";
}

INSTANTIATE_TEST_SUITE_P(Suite, Conformance, ::testing::ValuesIn(SuiteFiles()),
                         [](const auto& suite_file) { return suite_file.param; });

}  // namespace
}  // namespace sexp
