# lvs_write_if_changed(PATH TEXT): writes TEXT to PATH only when PATH does not already
# hold exactly TEXT, so an unchanged generated source keeps its time stamp and nothing
# that depends on it is rebuilt. For the generator scripts run with cmake -P.
function(lvs_write_if_changed path text)
  if(EXISTS "${path}")
    file(READ "${path}" old)
    if(old STREQUAL text)
      return()
    endif()
  endif()
  file(WRITE "${path}" "${text}")
endfunction()
