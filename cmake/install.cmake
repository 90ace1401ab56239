# SPDX-License-Identifier: MIT
# Installation: library, headers, pkg-config files, CMake package, the
# ldconfig step for system prefixes, man pages and bash completion
# (cmake/docs.cmake) and the uninstall target. Included from the top-level CMakeLists.txt.
install(TARGETS coord coord_static EXPORT coordTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# include/coord/mpi.h only with the library it declares.
if(coord_have_mpi)
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
else()
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    PATTERN mpi.h EXCLUDE)
endif()

# CMake package: find_package(coord 0.4) + coord::coord. While the version
# is 0.x every minor release may change the ABI (it is in the soname), so a
# request for 0.1 must not accept 0.2: SameMinorVersion.
install(EXPORT coordTargets NAMESPACE coord::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coord)
include(CMakePackageConfigHelpers)
configure_package_config_file(cmake/coordConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/coordConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coord)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/coordConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/coordConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/coordConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coord)

# pkg-config: the prefix is derived from where coord.pc lies
# (${pcfiledir}/../..), so the file is right for any --prefix given at
# install time and for a copied install tree.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(coord_pc_prefix "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH coord_pc_up /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
  string(REGEX REPLACE "/$" "" coord_pc_up "${coord_pc_up}")
  set(coord_pc_prefix "\${pcfiledir}/${coord_pc_up}")
endif()
configure_file(coord.pc.in ${CMAKE_CURRENT_BINARY_DIR}/coord.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/coord.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
# coord_mpi.pc, with the MPI library only: the same prefix, coord and MPI
# as requirements (cmake/mpi.cmake says how MPI is named).
if(coord_have_mpi)
  configure_file(mpi/coord_mpi.pc.in ${CMAKE_CURRENT_BINARY_DIR}/coord_mpi.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/coord_mpi.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

# As root, installing into a directory the dynamic linker searches
# (/usr/local/lib, ...) refreshes its cache, or programs would not find
# libcoord.so.0.x until someone runs ldconfig.
install(CODE "set(coord_libdir \"${CMAKE_INSTALL_LIBDIR}\")")
install(SCRIPT cmake/ldconfig.cmake)

include(cmake/docs.cmake)

add_custom_target(uninstall
  COMMAND ${CMAKE_COMMAND} -DCOORD_BINARY_DIR=${PROJECT_BINARY_DIR}
  -P ${PROJECT_SOURCE_DIR}/cmake/uninstall.cmake
  COMMENT "Removing what the last install of this build tree put in")
