# SPDX-License-Identifier: MIT
# The install, C++, man page, completion and README tests: shell scripts in
# tests/ that install the build into temporary prefixes and use it as a user
# would. Included from tests/CMakeLists.txt. The install tests share a
# resource lock: each restores BUILD/install_manifest.txt afterwards.
set(coord_san_cflags "")
if(coord_san_list)
  set(coord_san_cflags "-fsanitize=${coord_san_list}")
endif()

# coord_script_test(NAME SCRIPT [ENV...]): run tests/SCRIPT SRC BUILD.
function(coord_script_test name script)
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} -E env ${ARGN}
    bash ${CMAKE_CURRENT_SOURCE_DIR}/${script} ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endfunction()

set(coord_have_bench OFF)
if(TARGET coord_bench)
  set(coord_have_bench ON)
endif()
coord_script_test(install.pkg_config install-test.sh
  CC=${CMAKE_C_COMPILER} "EXTRA_CFLAGS=${coord_san_cflags}" COORD_HAVE_MPI=${coord_have_mpi}
  COORD_HAVE_BENCH=${coord_have_bench})
coord_script_test(install.python_data install-python-test.sh)
coord_script_test(install.uninstall install-uninstall-test.sh)
coord_script_test(install.man install-man-test.sh)
coord_script_test(install.completion install-completion-test.sh)
set_tests_properties(install.pkg_config install.python_data install.uninstall
  install.man install.completion PROPERTIES RESOURCE_LOCK coord_install_manifest)
# Its MPI part starts MPI singletons: not beside the mpi tests' mpiruns
# (tests/CMakeLists.txt, ompi_session).
set_tests_properties(install.pkg_config PROPERTIES
  RESOURCE_LOCK "coord_install_manifest;ompi_session")

# Sanitizer runtimes of g++ and clang++ do not mix: an instrumented build
# is tried with the C++ compiler of its own C compiler only.
set(coord_cxx "g++ clang++")
if(coord_san_list)
  if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
    set(coord_cxx "clang++")
  else()
    set(coord_cxx "g++")
  endif()
endif()
coord_script_test(install.cxx cxx-test.sh "COORD_CXX=${coord_cxx}"
  "EXTRA_CFLAGS=${coord_san_cflags}")
coord_script_test(install.readme readme-test.sh)
coord_script_test(install.make make-test.sh)
coord_script_test(install.configure configure-test.sh)
coord_script_test(install.ab_dirs ab-dir-test.sh)
