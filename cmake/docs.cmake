# SPDX-License-Identifier: MIT
# The man pages coord(1) and libcoord(3) and the bash completion, generated
# at build time from the built tool's option tables (coord help
# --options-json), README.md's library
# overview and the public headers (scripts/gen-man.py,
# scripts/gen-completion.py), so they cannot drift from them; installed to
# share/man and share/bash-completion/completions. scdoc(1) renders the
# pages: small, one C program, and a plain-text input that a script can
# write (help2man knows only --help, not a library page; pandoc is a large
# Haskell install). Without python3 or scdoc the step is skipped with a
# message at every build (scripts/deps.sh installs scdoc).
if(NOT COORD_BUILD_CLI)
  return()
endif()
find_program(COORD_PYTHON3 NAMES python3)
find_program(COORD_SCDOC NAMES scdoc)
set(coord_gen_dir ${PROJECT_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${coord_gen_dir})
set(coord_help_py ${PROJECT_SOURCE_DIR}/scripts/coordhelp.py)

# A python3 that is there but does not run (a pyenv shim with no version
# selected, a broken link) or is older than the generators need is passed
# over as a missing one: the build ran it and failed at the completion.
set(coord_docs_why "python3 is not installed")
if(COORD_PYTHON3)
  execute_process(COMMAND ${COORD_PYTHON3} -c
    "import sys; sys.exit(0 if sys.version_info >= (3, 7) else 3)"
    RESULT_VARIABLE coord_docs_rc OUTPUT_QUIET ERROR_QUIET)
  if(coord_docs_rc EQUAL 0)
    set(coord_docs_why "")
  elseif(coord_docs_rc EQUAL 3)
    set(coord_docs_why "${COORD_PYTHON3} is older than Python 3.7")
  else()
    set(coord_docs_why "${COORD_PYTHON3} does not run (${coord_docs_rc})")
  endif()
endif()
# The generators run the built tool, which a cross build cannot run here
# (it stopped the build with "Exec format error").
if(CMAKE_CROSSCOMPILING AND NOT coord_docs_why)
  set(coord_docs_why "cross-compiling: the built coord tool does not run on this machine")
endif()
if(coord_docs_why)
  message(STATUS "coord: man pages and bash completion skipped: ${coord_docs_why}")
  add_custom_target(coord_docs ALL COMMAND ${CMAKE_COMMAND} -E echo
    "coord: man pages and bash completion skipped: ${coord_docs_why}"
    VERBATIM)
  return()
endif()

add_custom_command(OUTPUT ${coord_gen_dir}/coord.bash
  COMMAND ${COORD_PYTHON3} ${PROJECT_SOURCE_DIR}/scripts/gen-completion.py
    $<TARGET_FILE:coord_cli> ${coord_gen_dir}/coord.bash
  DEPENDS coord_cli ${PROJECT_SOURCE_DIR}/scripts/gen-completion.py ${coord_help_py}
  COMMENT "Generating the bash completion from the option tables"
  VERBATIM)
add_custom_target(coord_completion ALL DEPENDS ${coord_gen_dir}/coord.bash)
install(FILES ${coord_gen_dir}/coord.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME coord)

if(COORD_SCDOC)
  file(GLOB coord_public_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/coord/*.h)
  set(coord_pages ${coord_gen_dir}/coord.1 ${coord_gen_dir}/libcoord.3)
  add_custom_command(OUTPUT ${coord_pages}
    COMMAND ${COORD_PYTHON3} ${PROJECT_SOURCE_DIR}/scripts/gen-man.py
      $<TARGET_FILE:coord_cli> ${PROJECT_SOURCE_DIR} ${coord_gen_dir} ${PROJECT_VERSION}
    COMMAND sh -c "'${COORD_SCDOC}' < coord.1.scd > coord.1"
    COMMAND sh -c "'${COORD_SCDOC}' < libcoord.3.scd > libcoord.3"
    WORKING_DIRECTORY ${coord_gen_dir}
    DEPENDS coord_cli ${PROJECT_SOURCE_DIR}/scripts/gen-man.py ${coord_help_py}
      ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/coord.pc.in
      ${PROJECT_SOURCE_DIR}/include/coord.h ${coord_public_headers}
    COMMENT "Generating the man pages coord(1) and libcoord(3) with scdoc"
    VERBATIM)
  add_custom_target(coord_man ALL DEPENDS ${coord_pages})
  install(FILES ${coord_gen_dir}/coord.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES ${coord_gen_dir}/libcoord.3 DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
else()
  add_custom_target(coord_man ALL COMMAND ${CMAKE_COMMAND} -E echo
    "coord: man pages skipped: scdoc is not installed (scripts/deps.sh installs it; then run cmake again)"
    VERBATIM)
endif()
