// A fresh folder under the system's temporary directory for one test's
// stores, removed with everything in it when the test ends.
#ifndef SEXP_TESTS_FED_TEMP_DIR_H_
#define SEXP_TESTS_FED_TEMP_DIR_H_

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <string_view>

namespace sexp::fed::testing {

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("sexp-fed-" + std::to_string(getpid()) + "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(std::string_view name) const { return (path_ / std::string(name)).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace sexp::fed::testing

#endif  // SEXP_TESTS_FED_TEMP_DIR_H_
