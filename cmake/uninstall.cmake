# SPDX-License-Identifier: MIT
# `make uninstall` (cmake --build BUILD --target uninstall): removes exactly
# the files listed in BUILD/install_manifest.txt, which CMake writes on
# every install of this build tree (so: what the last install put in), under
# the DESTDIR that install had (BUILD/install_destdir.txt, absolute: a
# relative DESTDIR was relative to where the install ran, and uninstall runs
# in BUILD). A DESTDIR given to uninstall must be that one: another would
# remove files the last install did not put there (without DESTDIR, the
# live files under the prefix after a staged install). Then the folders that install created (noted in
# BUILD/install_dirs.txt) when they are empty again; folders that were
# there before stay.
# Run with -DCOORD_BINARY_DIR=BUILD.
# A script sets no policies: CMP0007 NEW keeps list() quiet when the
# install created no folder (a record of the prefix alone).
cmake_policy(SET CMP0007 NEW)
set(manifest "${COORD_BINARY_DIR}/install_manifest.txt")
if(NOT EXISTS "${manifest}")
  message(FATAL_ERROR "uninstall: ${manifest} does not exist (nothing was installed from this build tree)")
endif()
set(coord_destdir "$ENV{DESTDIR}")
set(destdir_file "${COORD_BINARY_DIR}/install_destdir.txt")
if(EXISTS "${destdir_file}")
  file(STRINGS "${destdir_file}" coord_rec REGEX "^[AG]")
  set(coord_abs "")
  set(coord_given "")
  foreach(line ${coord_rec})
    string(SUBSTRING "${line}" 1 -1 v)
    if(line MATCHES "^A")
      set(coord_abs "${v}")
    else()
      set(coord_given "${v}")
    endif()
  endforeach()
  if(NOT coord_destdir STREQUAL "" AND NOT coord_destdir STREQUAL coord_given AND
     NOT coord_destdir STREQUAL coord_abs)
    message(FATAL_ERROR "uninstall: the last install of this build tree was "
      "into DESTDIR='${coord_given}' (${coord_abs}), not DESTDIR='${coord_destdir}': "
      "run uninstall with that DESTDIR, or none")
  endif()
  if(coord_destdir STREQUAL "" AND NOT coord_abs STREQUAL "")
    message(STATUS "uninstall: the last install was into DESTDIR=${coord_abs}")
  endif()
  set(coord_destdir "${coord_abs}")
endif()
file(STRINGS "${manifest}" coord_files)
foreach(f ${coord_files})
  set(p "${coord_destdir}${f}")
  if(IS_SYMLINK "${p}" OR EXISTS "${p}")
    message(STATUS "Removing: ${p}")
    file(REMOVE "${p}")
    if(IS_SYMLINK "${p}" OR EXISTS "${p}")
      message(FATAL_ERROR "uninstall: could not remove ${p}")
    endif()
  else()
    message(STATUS "Not there (already removed): ${p}")
  endif()
  # An installed module's bytecode: the first `import coord` (or a script
  # run from share/coord/python that imports its neighbour) writes
  # __pycache__/NAME.cpython-3X.pyc beside it. It is the install's doing,
  # not the user's: removed with its source, and __pycache__ once empty,
  # so that the folders the install created are empty again.
  if(p MATCHES "\\.py$")
    get_filename_component(dir "${p}" DIRECTORY)
    get_filename_component(stem "${p}" NAME_WE)
    file(GLOB pycs "${dir}/__pycache__/${stem}.*.pyc")
    foreach(pyc ${pycs})
      message(STATUS "Removing: ${pyc}")
      file(REMOVE "${pyc}")
    endforeach()
    file(GLOB left "${dir}/__pycache__/*" "${dir}/__pycache__/.*")
    if(IS_DIRECTORY "${dir}/__pycache__" AND NOT left)
      message(STATUS "Removing empty directory: ${dir}/__pycache__")
      file(REMOVE_RECURSE "${dir}/__pycache__")
    endif()
  endif()
endforeach()
# The folders the install created (cmake/install-dirs.cmake), deepest
# first, when they are empty again.
set(dirs_list "${COORD_BINARY_DIR}/install_dirs.txt")
if(EXISTS "${dirs_list}")
  file(STRINGS "${dirs_list}" coord_dirs)
  list(REMOVE_AT coord_dirs 0)
  list(REMOVE_ITEM coord_dirs "")
  list(SORT coord_dirs)
  list(REVERSE coord_dirs)
  foreach(d ${coord_dirs})
    file(GLOB left "${d}/*" "${d}/.*")
    if(IS_DIRECTORY "${d}" AND NOT left)
      message(STATUS "Removing empty directory: ${d}")
      file(REMOVE_RECURSE "${d}")
    endif()
  endforeach()
endif()
