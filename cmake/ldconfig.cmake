# SPDX-License-Identifier: MIT
# Install step: run ldconfig when installing as root, without DESTDIR, into
# a library directory that ldconfig already searches (a system prefix such
# as /usr/local). Elsewhere the rpath that `pkg-config --libs coord` adds
# finds the library. $COORD_LDCONFIG replaces the ldconfig command (tests).
set(coord_ldconfig "$ENV{COORD_LDCONFIG}")
if(NOT coord_ldconfig)
  set(coord_ldconfig ldconfig)
endif()
if(IS_ABSOLUTE "${coord_libdir}")
  set(coord_dir "${coord_libdir}")
else()
  set(coord_dir "${CMAKE_INSTALL_PREFIX}/${coord_libdir}")
endif()
get_filename_component(coord_dir "${coord_dir}" REALPATH)
execute_process(COMMAND id -u OUTPUT_VARIABLE coord_uid
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if("$ENV{DESTDIR}" STREQUAL "" AND coord_uid STREQUAL "0")
  # `ldconfig -v -N` lists the directories it searches ("/usr/local/lib:
  # (from /etc/ld.so.conf.d/libc.conf:2)") without rebuilding the cache.
  execute_process(COMMAND ${coord_ldconfig} -v -N OUTPUT_VARIABLE coord_dirs
    ERROR_QUIET RESULT_VARIABLE coord_rc)
  string(REGEX MATCHALL "(^|\n)/[^:\n]*:" coord_lines "${coord_dirs}")
  set(coord_system OFF)
  foreach(line ${coord_lines})
    string(REGEX REPLACE "^\n?(/[^:]*):$" "\\1" d "${line}")
    get_filename_component(d "${d}" REALPATH)
    if(d STREQUAL coord_dir)
      set(coord_system ON)
    endif()
  endforeach()
  if(coord_system)
    message(STATUS "Running ${coord_ldconfig} (${coord_dir} is a system library directory)")
    execute_process(COMMAND ${coord_ldconfig} RESULT_VARIABLE coord_rc)
    if(NOT coord_rc EQUAL 0)
      message(WARNING "ldconfig failed (${coord_rc}): run it by hand")
    endif()
  endif()
endif()
