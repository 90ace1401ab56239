# SPDX-License-Identifier: MIT
# The first install step: notes which of coord's install folders
# (coord_dirs, relative to the prefix, set by the install(CODE) before this)
# do not exist yet, in BUILD/install_dirs.txt, so that `make uninstall`
# (cmake/uninstall.cmake) removes exactly the folders the install created,
# when they are empty again. Installing again into the same place keeps the
# folders noted the first time.
set(coord_root "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
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
foreach(d ${coord_dirs})
  if(IS_ABSOLUTE "${d}")
    set(p "$ENV{DESTDIR}${d}")
  else()
    set(p "${coord_root}/${d}")
  endif()
  if(NOT EXISTS "${p}")
    list(APPEND coord_new "${p}")
  endif()
endforeach()
list(REMOVE_DUPLICATES coord_new)
string(REPLACE ";" "\n" coord_text "${coord_root};${coord_new}")
file(WRITE "${coord_list}" "${coord_text}\n")
