# FindLlhttp.cmake — llhttp, the HTTP/1.1 parser of Node.js, as Debian ships
# it: the generated C sources and the header of the `node-llhttp` package
# (/usr/share/llhttp/*.c, /usr/share/include/llhttp/llhttp.h), with no
# library to link. Defines Llhttp_SOURCES and Llhttp_INCLUDE_DIR; the build
# compiles the sources into a static library of its own (sexp_llhttp).
find_path(Llhttp_INCLUDE_DIR llhttp.h PATHS /usr/share/include/llhttp NO_DEFAULT_PATH)
find_path(Llhttp_INCLUDE_DIR llhttp.h PATH_SUFFIXES llhttp)
find_path(Llhttp_SOURCE_DIR llhttp.c PATHS /usr/share/llhttp NO_DEFAULT_PATH)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Llhttp REQUIRED_VARS Llhttp_SOURCE_DIR Llhttp_INCLUDE_DIR)
if(Llhttp_FOUND)
  set(Llhttp_SOURCES ${Llhttp_SOURCE_DIR}/llhttp.c ${Llhttp_SOURCE_DIR}/api.c
                     ${Llhttp_SOURCE_DIR}/http.c)
endif()
mark_as_advanced(Llhttp_INCLUDE_DIR Llhttp_SOURCE_DIR)
