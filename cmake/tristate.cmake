# SPDX-License-Identifier: MIT
# coord_tristate(VAR): a switch that takes AUTO, ON or OFF. CMake's own
# spellings of a boolean (on/off, yes/no, true/false, y/n, 1/0, any case)
# are taken as ON or OFF, and `auto` in any case as AUTO; VAR is then set
# (a normal variable, shadowing the cache entry in this directory and
# those below) to AUTO, ON or OFF. Any other value stops the configure with
# a message naming the switch: -DCOORD_PYTHON=of was taken as AUTO in
# silence, building the package the user meant to turn off.
function(coord_tristate var)
  string(TOUPPER "${${var}}" v)
  if(v MATCHES "^(ON|YES|TRUE|Y|1)$")
    set(v ON)
  elseif(v MATCHES "^(OFF|NO|FALSE|N|0)$")
    set(v OFF)
  elseif(NOT v STREQUAL "AUTO")
    message(FATAL_ERROR "${var} must be AUTO, ON or OFF, not '${${var}}'")
  endif()
  set(${var} ${v} PARENT_SCOPE)
endfunction()
