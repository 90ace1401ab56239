# SPDX-License-Identifier: MIT
# COORD_MPI=AUTO|ON|OFF: the MPI backend (library coord_mpi, include/coord/mpi.h).
# AUTO builds it when CMake finds MPI; ON requires MPI; OFF never looks.
# Sets coord_have_mpi and, when true, COORD_MPIEXEC / COORD_MPIEXEC_OMPI.
set(COORD_MPI AUTO CACHE STRING "Build the MPI backend coord_mpi: AUTO, ON or OFF")
set_property(CACHE COORD_MPI PROPERTY STRINGS AUTO ON OFF)
coord_tristate(COORD_MPI) # on/off, yes/no, true/false, y/n, 1/0, auto
set(coord_have_mpi OFF)
if(COORD_MPI STREQUAL "ON")
  find_package(MPI REQUIRED COMPONENTS C)
elseif(COORD_MPI STREQUAL "AUTO")
  find_package(MPI QUIET COMPONENTS C)
endif()
if(NOT COORD_MPI STREQUAL "OFF" AND MPI_C_FOUND)
  set(coord_have_mpi ON)
  set(COORD_MPIEXEC "${MPIEXEC_EXECUTABLE}")
  # Open MPI's launcher takes --oversubscribe and --mca; the tests that
  # need those are skipped (with the reason) under another MPI.
  execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version
    OUTPUT_VARIABLE coord_mpiexec_version ERROR_QUIET)
  if(coord_mpiexec_version MATCHES "Open MPI|OpenRTE")
    set(COORD_MPIEXEC_OMPI 1)
  else()
    set(COORD_MPIEXEC_OMPI 0)
  endif()
  message(STATUS "coord: MPI ${MPI_C_VERSION} found; building coord_mpi")
elseif(NOT COORD_MPI STREQUAL "OFF")
  message(STATUS "coord: MPI not found; coord_mpi is not built (COORD_MPI=AUTO)")
endif()

# How coord_mpi.pc (cmake/install.cmake) brings in the MPI that coord_mpi
# was built with. COORD_MPI_PC=AUTO (default) looks for that MPI's own
# pkg-config module: Open MPI ships ompi-c, MPICH mpich, and Debian's
# mpi-c (an alternative that may point to either) comes last; the first
# whose include directories hold the mpi.h CMake found is required. A
# module name requires that one; OFF, or AUTO finding none, writes MPI's
# flags as CMake found them into coord_mpi.pc. Sets coord_mpi_pc_requires,
# coord_mpi_pc_cflags and coord_mpi_pc_libs (each empty or starting with
# the separator it needs).
if(coord_have_mpi)
  set(COORD_MPI_PC AUTO CACHE STRING
    "MPI's pkg-config module for coord_mpi.pc: AUTO, a module name, or OFF (MPI's flags written in)")
  set(coord_mpi_pc_requires "")
  set(coord_mpi_pc_cflags "")
  set(coord_mpi_pc_libs "")
  set(coord_mpi_pc_module "")
  if(COORD_MPI_PC STREQUAL "AUTO")
    # The directory of the mpi.h CMake found.
    set(coord_mpi_h "")
    foreach(d ${MPI_C_INCLUDE_DIRS} ${MPI_C_HEADER_DIR})
      if(NOT coord_mpi_h AND EXISTS "${d}/mpi.h")
        get_filename_component(coord_mpi_h "${d}" REALPATH)
      endif()
    endforeach()
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND AND coord_mpi_h)
      foreach(m ompi-c mpich mpi-c)
        # System directories too (pkg-config leaves -I/usr/include out).
        execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1
          ${PKG_CONFIG_EXECUTABLE} --cflags-only-I ${m}
          OUTPUT_VARIABLE flags RESULT_VARIABLE rc ERROR_QUIET
          OUTPUT_STRIP_TRAILING_WHITESPACE)
        if(rc EQUAL 0 AND NOT coord_mpi_pc_module)
          separate_arguments(flags UNIX_COMMAND "${flags}")
          foreach(f ${flags})
            string(REGEX REPLACE "^-I" "" d "${f}")
            get_filename_component(d "${d}" REALPATH)
            if(d STREQUAL coord_mpi_h)
              set(coord_mpi_pc_module ${m})
            endif()
          endforeach()
        endif()
      endforeach()
    endif()
  elseif(NOT COORD_MPI_PC STREQUAL "OFF")
    set(coord_mpi_pc_module ${COORD_MPI_PC})
  endif()
  if(coord_mpi_pc_module)
    set(coord_mpi_pc_requires ", ${coord_mpi_pc_module}")
    message(STATUS "coord: coord_mpi.pc requires ${coord_mpi_pc_module}")
  else()
    foreach(d ${MPI_C_INCLUDE_DIRS})
      string(APPEND coord_mpi_pc_cflags " -I${d}")
    endforeach()
    foreach(d ${MPI_C_COMPILE_DEFINITIONS})
      string(APPEND coord_mpi_pc_cflags " -D${d}")
    endforeach()
    foreach(o ${MPI_C_COMPILE_OPTIONS})
      string(APPEND coord_mpi_pc_cflags " ${o}")
    endforeach()
    foreach(o ${MPI_C_LINK_FLAGS} ${MPI_C_LIBRARIES})
      string(APPEND coord_mpi_pc_libs " ${o}")
    endforeach()
    message(STATUS "coord: no pkg-config module for this MPI; coord_mpi.pc carries its flags")
  endif()
endif()
