# SPDX-License-Identifier: MIT
# git-commit.cmake: run at every build (cmake -P) to write OUT, a header defining
# COORD_GIT_COMMIT as the checkout's short commit, with "-dirty" when tracked files differ
# from it ("unknown" outside a git checkout). OUT is rewritten only when that changes, so an
# unchanged commit rebuilds nothing; a commit, checkout or edit since the last build does
# (a value taken at configure time named whatever commit cmake last ran at).
# Only a checkout whose top is SRC itself counts: a release tarball unpacked inside some
# other repository (a home directory kept in git, a distribution's packaging repository)
# is "unknown", not that repository's commit.
# Inputs: -DSRC=<source dir> -DOUT=<header path>
set(commit unknown)
execute_process(COMMAND git rev-parse --show-toplevel WORKING_DIRECTORY "${SRC}"
  OUTPUT_VARIABLE top OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_VARIABLE why ERROR_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
# A checkout git refuses to read (another user's: "dubious ownership") is
# "unknown" too, and git's own words say how to allow it (safe.directory):
# the build said nothing of it.
if(NOT rc EQUAL 0 AND why MATCHES "dubious ownership|safe\\.directory")
  message(WARNING "git will not read ${SRC}, so coord_bench's rows name the commit "
    "\"unknown\":\n${why}")
endif()
if(rc EQUAL 0 AND top)
  get_filename_component(top "${top}" REALPATH)
  get_filename_component(src_real "${SRC}" REALPATH)
  if(top STREQUAL src_real)
    execute_process(COMMAND git rev-parse --short HEAD WORKING_DIRECTORY "${SRC}"
      OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
    if(rc EQUAL 0 AND head)
      set(commit "${head}")
      execute_process(COMMAND git diff --quiet HEAD -- WORKING_DIRECTORY "${SRC}"
        RESULT_VARIABLE dirty ERROR_QUIET)
      if(NOT dirty EQUAL 0)
        string(APPEND commit -dirty)
      endif()
    endif()
  endif()
endif()
set(text "#define COORD_GIT_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE "${OUT}" "${text}")
endif()
