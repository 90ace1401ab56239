# SPDX-License-Identifier: MIT
# git-commit.cmake: run at every build (cmake -P) to write OUT, a header defining
# COORD_GIT_COMMIT as the checkout's short commit, with "-dirty" when tracked files differ
# from it ("unknown" outside a git checkout). OUT is rewritten only when that changes, so an
# unchanged commit rebuilds nothing; a commit, checkout or edit since the last build does
# (a value taken at configure time named whatever commit cmake last ran at).
# Inputs: -DSRC=<source dir> -DOUT=<header path>
execute_process(COMMAND git rev-parse --short HEAD WORKING_DIRECTORY "${SRC}"
  OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT commit)
  set(commit unknown)
else()
  execute_process(COMMAND git diff --quiet HEAD -- WORKING_DIRECTORY "${SRC}"
    RESULT_VARIABLE dirty ERROR_QUIET)
  if(NOT dirty EQUAL 0)
    string(APPEND commit -dirty)
  endif()
endif()
set(text "#define COORD_GIT_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE "${OUT}" "${text}")
endif()
