# SPDX-License-Identifier: MIT
# COORD_MPI=AUTO|ON|OFF: the MPI backend (library coord_mpi, include/coord/mpi.h).
# AUTO builds it when CMake finds MPI; ON requires MPI; OFF never looks.
# Sets coord_have_mpi and, when true, COORD_MPIEXEC / COORD_MPIEXEC_OMPI.
set(COORD_MPI AUTO CACHE STRING "Build the MPI backend coord_mpi: AUTO, ON or OFF")
set_property(CACHE COORD_MPI PROPERTY STRINGS AUTO ON OFF)
set(coord_have_mpi OFF)
if(COORD_MPI STREQUAL "ON")
  find_package(MPI REQUIRED COMPONENTS C)
elseif(COORD_MPI STREQUAL "AUTO")
  find_package(MPI QUIET COMPONENTS C)
elseif(NOT COORD_MPI STREQUAL "OFF")
  message(FATAL_ERROR "COORD_MPI must be AUTO, ON or OFF, not '${COORD_MPI}'")
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
