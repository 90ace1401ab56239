# SPDX-License-Identifier: MIT
# The first install step: notes which of coord's install folders
# (coord_dirs, relative to the prefix, set by the install(CODE) before this)
# do not exist yet, in BUILD/install_dirs.txt, so that `make uninstall`
# (cmake/uninstall.cmake) removes exactly the folders the install created,
# when they are empty again. Installing again into the same place keeps the
# folders noted the first time.
# A relative prefix (cmake --install BUILD --prefix rel) is relative to where
# the install runs; uninstall runs in BUILD, so everything is noted absolute.
# So is a relative DESTDIR (make install DESTDIR=stage): the install puts
# its files under stage/ where it runs, and BUILD/install_destdir.txt notes
# the DESTDIR (absolute, and as given) for uninstall, which removes the
# files under that DESTDIR, not under the prefix on the live system.
# The install script sets no policies: CMP0007 NEW keeps list() from
# warning about the empty line an earlier version wrote after the prefix
# when the install created no folder.
cmake_policy(PUSH)
cmake_policy(SET CMP0007 NEW)
set(coord_prefix "${CMAKE_INSTALL_PREFIX}")
if(NOT IS_ABSOLUTE "${coord_prefix}")
  get_filename_component(coord_prefix "${coord_prefix}" ABSOLUTE)
endif()
set(coord_destdir "$ENV{DESTDIR}")
if(NOT coord_destdir STREQUAL "" AND NOT IS_ABSOLUTE "${coord_destdir}")
  get_filename_component(coord_destdir "${coord_destdir}" ABSOLUTE)
endif()
# One line each, never empty: A<absolute DESTDIR>, G<DESTDIR as given>.
file(WRITE "${coord_build_dir}/install_destdir.txt" "A${coord_destdir}\nG$ENV{DESTDIR}\n")
set(coord_root "${coord_destdir}${coord_prefix}")
set(coord_list "${coord_build_dir}/install_dirs.txt")
set(coord_new "")
if(EXISTS "${coord_list}")
  file(STRINGS "${coord_list}" coord_old)
  list(GET coord_old 0 coord_old_root)
  if(coord_old_root STREQUAL "${coord_root}")
    list(REMOVE_AT coord_old 0)
    set(coord_new ${coord_old})
  endif()
endif()
# Besides coord_dirs, every destination any install rule of this build
# names (python/ installs into lib/python3.X/site-packages/coord, say),
# read from the generated cmake_install.cmake files, with its parents up
# to the prefix.
set(coord_paths "")
foreach(d ${coord_dirs})
  if(IS_ABSOLUTE "${d}")
    list(APPEND coord_paths "${coord_destdir}${d}")
  else()
    list(APPEND coord_paths "${coord_root}/${d}")
  endif()
endforeach()
file(GLOB_RECURSE coord_scripts "${coord_build_dir}/cmake_install.cmake")
foreach(script ${coord_scripts})
  file(STRINGS "${script}" coord_rules REGEX "file\\(INSTALL DESTINATION \"")
  foreach(rule ${coord_rules})
    string(REGEX REPLACE ".*file\\(INSTALL DESTINATION \"([^\"]*)\".*" "\\1" d "${rule}")
    string(REPLACE "\${CMAKE_INSTALL_PREFIX}" "${coord_prefix}" d "${d}")
    set(d "${coord_destdir}${d}")
    string(FIND "${d}" "${coord_root}/" at)
    while(at EQUAL 0)
      list(APPEND coord_paths "${d}")
      get_filename_component(d "${d}" DIRECTORY)
      string(FIND "${d}" "${coord_root}/" at)
    endwhile()
  endforeach()
endforeach()
# The prefix itself and its parents, when the install makes them.
set(d "${coord_root}")
while(NOT EXISTS "${d}" AND NOT d STREQUAL "/" AND NOT d STREQUAL "")
  list(APPEND coord_paths "${d}")
  get_filename_component(d "${d}" DIRECTORY)
endwhile()
foreach(p ${coord_paths})
  if(NOT EXISTS "${p}")
    list(APPEND coord_new "${p}")
  endif()
endforeach()
list(REMOVE_DUPLICATES coord_new)
list(REMOVE_ITEM coord_new "")
# The prefix, then one created folder a line (none when the install
# created none: no empty line).
set(coord_lines "${coord_root}" ${coord_new})
string(REPLACE ";" "\n" coord_text "${coord_lines}")
file(WRITE "${coord_list}" "${coord_text}\n")
cmake_policy(POP)
