# The installed package works for a consumer project (ctest: cmake_consumer_test).
#
#   cmake -DSOURCE_DIR=<repo> -DBUILD_DIR=<libsexp build> -DWORK_DIR=<scratch>
#         -DGENERATOR=<generator> -P tests/cmake/consumer_test.cmake
#
# Installs BUILD_DIR into WORK_DIR/prefix, configures and builds
# examples/consumer against that prefix only, then runs it on good and bad
# input; then builds examples/core_consumer with find_package(sexp
# COMPONENTS core) where pkg-config finds nothing (so gumbo, hiredis, ngtcp2
# and GnuTLS are out of reach), and checks that its build names none of them. Each failing step stops with
# FATAL_ERROR saying which step and why.

foreach(var SOURCE_DIR BUILD_DIR WORK_DIR GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "consumer_test: pass -D${var}=...")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)

# Runs a command; on a non-zero exit, stops with its output.
function(run step)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(JOIN " " cmd ${ARGN})
    message(FATAL_ERROR "consumer_test: ${step} failed (exit ${rc})\n"
                        "command: ${cmd}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
endfunction()

# 1. A clean scratch directory.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# 2. Install the library as a user would.
run("installing ${BUILD_DIR} into ${prefix}"
    ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
file(GLOB_RECURSE config ${prefix}/*/sexpConfig.cmake)
if(NOT config)
  message(FATAL_ERROR "consumer_test: the install put no sexpConfig.cmake under ${prefix}")
endif()

# 3. Configure the consumer against the prefix, with the compiler, build type
# and sanitizers the library was built with (a static library needs the
# sanitizer runtimes at the final link).
load_cache(${BUILD_DIR} READ_WITH_PREFIX LIB_
           CMAKE_CXX_COMPILER CMAKE_BUILD_TYPE SEXP_SANITIZE SEXP_BUILD_QUIC)
set(args -S ${SOURCE_DIR}/examples/consumer -B ${build} -G ${GENERATOR}
         -DCMAKE_PREFIX_PATH=${prefix}
         -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(LIB_CMAKE_CXX_COMPILER)
  list(APPEND args -DCMAKE_CXX_COMPILER=${LIB_CMAKE_CXX_COMPILER})
endif()
if(LIB_CMAKE_BUILD_TYPE)
  list(APPEND args -DCMAKE_BUILD_TYPE=${LIB_CMAKE_BUILD_TYPE})
endif()
if(LIB_SEXP_SANITIZE)
  list(APPEND args -DCMAKE_CXX_FLAGS=-fsanitize=${LIB_SEXP_SANITIZE}
                   -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${LIB_SEXP_SANITIZE})
endif()
run("configuring examples/consumer" ${CMAKE_COMMAND} ${args})

# find_package must have found the installed copy, not another one.
load_cache(${build} READ_WITH_PREFIX CONSUMER_ sexp_DIR)
string(FIND "${CONSUMER_sexp_DIR}" "${prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "consumer_test: find_package(sexp) found "
                      "'${CONSUMER_sexp_DIR}', not the install in ${prefix}")
endif()

# 4. Build it.
run("building examples/consumer" ${CMAKE_COMMAND} --build ${build})
file(GLOB_RECURSE exe LIST_DIRECTORIES false ${build}/sx_canon ${build}/sx_canon.exe)
if(NOT exe)
  message(FATAL_ERROR "consumer_test: no sx_canon binary under ${build}")
endif()
list(GET exe 0 exe)

# 5. Good input, from a file argument and from stdin.
set(good "(Create :id 1 :actor a (Note))")
file(WRITE ${WORK_DIR}/good.sx "${good}\n")
foreach(mode file stdin)
  if(mode STREQUAL "file")
    execute_process(COMMAND ${exe} ${WORK_DIR}/good.sx
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  else()
    execute_process(COMMAND ${exe} INPUT_FILE ${WORK_DIR}/good.sx
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer_test: sx_canon (${mode}) on '${good}' exited "
                        "${rc}, expected 0\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  string(FIND "${out}" "(Create :actor a :id 1 (Note))" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "consumer_test: sx_canon (${mode}) did not print the "
                        "canonical form '(Create :actor a :id 1 (Note))'\n"
                        "--- stdout\n${out}")
  endif()
  if(NOT out MATCHES "bafkrmi[a-z2-7]+")
    message(FATAL_ERROR "consumer_test: sx_canon (${mode}) printed no CID "
                        "(bafkrmi...)\n--- stdout\n${out}")
  endif()
endforeach()

# The documented example address (DESIGN.md / spec): (p "hello").
file(WRITE ${WORK_DIR}/hello.sx "(p \"hello\")")
execute_process(COMMAND ${exe} ${WORK_DIR}/hello.sx
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(cid bafkrmidwcvtmu5jpuqc2yesf263ca6achethqsbam5w7cuqdbucahqxde4)
string(FIND "${out}" "${cid}" at)
if(NOT rc EQUAL 0 OR at EQUAL -1)
  message(FATAL_ERROR "consumer_test: sx_canon on '(p \"hello\")' should print "
                      "${cid} (exit ${rc})\n--- stdout\n${out}\n--- stderr\n${err}")
endif()

# The HTML reader links through the package too (gumbo via pkg-config): the
# fragment <p>hello</p> is (p "hello"), with the same CID.
file(WRITE ${WORK_DIR}/hello.html "<p>hello</p>")
execute_process(COMMAND ${exe} --html ${WORK_DIR}/hello.html
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(FIND "${out}" "(p \"hello\")\n  ${cid}" at)
if(NOT rc EQUAL 0 OR at EQUAL -1)
  message(FATAL_ERROR "consumer_test: sx_canon --html on '<p>hello</p>' should print "
                      "(p \"hello\") and ${cid} (exit ${rc})\n--- stdout\n${out}\n"
                      "--- stderr\n${err}")
endif()

# 6. Bad input: exit 1 and the error's position. No trailing newline, so the
# end of input (where the error is) is line 1, column 3.
file(WRITE ${WORK_DIR}/bad.sx "(a")
execute_process(COMMAND ${exe} ${WORK_DIR}/bad.sx
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "consumer_test: sx_canon on '(a' exited ${rc}, expected 1"
                      "\n--- stdout\n${out}\n--- stderr\n${err}")
endif()
string(FIND "${err}" "1:3:" at)
if(at EQUAL -1)
  message(FATAL_ERROR "consumer_test: sx_canon on '(a' did not report position "
                      "1:3:\n--- stderr\n${err}")
endif()
if(NOT out STREQUAL "")
  message(FATAL_ERROR "consumer_test: sx_canon on '(a' wrote to stdout:\n${out}")
endif()

# 7. sexp::quic from the installed package (ngtcp2 + GnuTLS found by the
# package config), when the library was built with it.
file(GLOB_RECURSE url_exe LIST_DIRECTORIES false ${build}/sx_url)
if(NOT LIB_SEXP_BUILD_QUIC)
  if(url_exe)
    message(FATAL_ERROR "consumer_test: sx_url was built, but libsexp was built without sexp::quic")
  endif()
elseif(NOT url_exe)
  message(FATAL_ERROR "consumer_test: no sx_url binary: sexp::quic was not found")
else()
  execute_process(COMMAND ${url_exe} sexpr://example.org/feed
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT out STREQUAL "example.org 4433 /feed\n")
    message(FATAL_ERROR "consumer_test: sx_url printed '${out}' (exit ${rc})\n${err}")
  endif()
endif()

# 8. The embeddable core alone: find_package(sexp COMPONENTS core) must not
# look for the optional dependencies. pkg-config is pointed at an empty
# directory, as on a machine without gumbo, hiredis, ngtcp2 or GnuTLS (which
# libsexp finds only through pkg-config).
set(core_build ${WORK_DIR}/core-build)
file(MAKE_DIRECTORY ${WORK_DIR}/no-pkgconfig)
set(core_args -S ${SOURCE_DIR}/examples/core_consumer -B ${core_build} -G ${GENERATOR}
              -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
foreach(arg IN LISTS args)
  if(arg MATCHES "^-DCMAKE_(CXX_COMPILER|BUILD_TYPE|CXX_FLAGS|EXE_LINKER_FLAGS)=")
    list(APPEND core_args ${arg})
  endif()
endforeach()
run("configuring examples/core_consumer (COMPONENTS core, no pkg-config)"
    ${CMAKE_COMMAND} -E env PKG_CONFIG_LIBDIR=${WORK_DIR}/no-pkgconfig PKG_CONFIG_PATH=
    ${CMAKE_COMMAND} ${core_args})
run("building examples/core_consumer" ${CMAKE_COMMAND} --build ${core_build})
execute_process(COMMAND ${CMAKE_COMMAND} --build ${core_build} -- -t commands sx_core
  RESULT_VARIABLE rc OUTPUT_VARIABLE commands ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer_test: could not list the core consumer's build commands\n${err}")
endif()
foreach(lib gumbo hiredis ngtcp2 gnutls sexp_html sexp_cache sexp_web sexp_quic)
  string(FIND "${commands}" "${lib}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "consumer_test: the core consumer's build names ${lib}:\n${commands}")
  endif()
endforeach()
file(GLOB_RECURSE core_exe LIST_DIRECTORIES false ${core_build}/sx_core)
if(NOT core_exe)
  message(FATAL_ERROR "consumer_test: no sx_core binary under ${core_build}")
endif()
file(WRITE ${WORK_DIR}/sum.sx "(quote (p \"hello\"))\n(+ 1 2)\n")
execute_process(COMMAND ${core_exe} ${WORK_DIR}/sum.sx
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR
   NOT out MATCHES "^\\(quote \\(p \"hello\"\\)\\)\n  bafkrmi[a-z2-7]+\n\\(\\+ 1 2\\)\n  bafkrmi[a-z2-7]+\n= 3\n$")
  message(FATAL_ERROR "consumer_test: sx_core printed '${out}' (exit ${rc}), want the "
                      "canonical form and CID of each form, then '= 3'\n${err}")
endif()
# Without sexp::html an element name is no form of the language.
file(WRITE ${WORK_DIR}/element.sx "(p \"hello\")")
execute_process(COMMAND ${core_exe} ${WORK_DIR}/element.sx
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "unbound")
  message(FATAL_ERROR "consumer_test: sx_core evaluated (p \"hello\") without sexp::html "
                      "(exit ${rc}): ${out}${err}")
endif()

message(STATUS "consumer_test: passed (${exe}, ${core_exe})")
