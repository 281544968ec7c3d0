// The registry of language extensions (extension.h): a process-wide list,
// read by every new Environment.
#include "eval/extension.h"

#include <algorithm>
#include <mutex>
#include <vector>

namespace sexp::eval_internal {
namespace {

struct Registry {
  std::mutex mu;
  std::vector<const LanguageExtension*> extensions;  // in registration order
};

Registry& TheRegistry() {
  static Registry* registry = new Registry;  // never destroyed: used at exit
  return *registry;
}

}  // namespace

bool RegisterExtension(const LanguageExtension* ext) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (std::find(r.extensions.begin(), r.extensions.end(), ext) == r.extensions.end()) {
    r.extensions.push_back(ext);
  }
  return true;
}

void InstallExtensions(Environment& env, Environment::State& state) {
  std::vector<const LanguageExtension*> extensions;
  {
    Registry& r = TheRegistry();
    std::lock_guard<std::mutex> lock(r.mu);
    extensions = r.extensions;
  }
  for (const LanguageExtension* ext : extensions) {
    for (const SpecialFormEntry& e : ext->special_forms) {
      state.special_forms[state.Intern(e.name)] = e.compile;
    }
    if (ext->head_form != nullptr) state.head_forms.push_back(ext->head_form);
    if (ext->install != nullptr) ext->install(env);
  }
}

}  // namespace sexp::eval_internal
