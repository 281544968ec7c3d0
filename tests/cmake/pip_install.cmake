# pip install --no-build-isolation . into a fresh venv (with the system's
# site packages, as Debian's pip refuses to install into the system
# interpreter), then import the installed module and use it.
#   cmake -DSOURCE_DIR=… -DWORK_DIR=… -DPYTHON=/usr/bin/python3 -P pip_install.cmake
set(venv ${WORK_DIR}/venv)
file(REMOVE_RECURSE ${venv})
execute_process(COMMAND ${PYTHON} -m venv --system-site-packages ${venv} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "venv failed (${rc})")
endif()
execute_process(COMMAND ${venv}/bin/pip install --no-build-isolation --no-deps --no-index -q ${SOURCE_DIR}
                WORKING_DIRECTORY ${WORK_DIR} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "pip install failed (${rc})")
endif()
execute_process(
  COMMAND ${venv}/bin/python -c [[
import sexp, os
assert os.path.dirname(sexp.__file__).endswith("site-packages/sexp"), sexp.__file__
assert sexp.canonical({sexp.Keyword("b"): 1, sexp.Keyword("a"): [1, 2.5]}) == "{:a (1 2.5) :b 1}"
assert sexp.Env().render_html('(p :class "x" "<hi>")') == '<p class="x">&lt;hi&gt;</p>'
print("installed:", sexp.__file__)
]]
  WORKING_DIRECTORY ${WORK_DIR} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the installed module does not work (${rc})")
endif()
# The console script runs the bundled CLI.
execute_process(COMMAND ${venv}/bin/sexp canon -
                INPUT_FILE ${SOURCE_DIR}/tests/cmake/pip_cli_input.sx
                OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(rc OR NOT out STREQUAL "(b :a 2 :z 1)\n")
  message(FATAL_ERROR "the sexp console script failed (${rc}): '${out}'")
endif()
