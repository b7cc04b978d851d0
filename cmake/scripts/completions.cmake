# cmake -DBINARY=<kafka-backup> -DOUT_DIR=<dir> -P completions.cmake
# Writes the bash, zsh and fish completion scripts the binary prints (`kafka-backup completion`)
# as OUT_DIR/kafka-backup.bash, OUT_DIR/_kafka-backup and OUT_DIR/kafka-backup.fish.
foreach(var BINARY OUT_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "completions.cmake: -D${var}=... is required")
  endif()
endforeach()
file(MAKE_DIRECTORY ${OUT_DIR})
foreach(pair "bash;kafka-backup.bash" "zsh;_kafka-backup" "fish;kafka-backup.fish")
  list(GET pair 0 shell)
  list(GET pair 1 name)
  execute_process(COMMAND ${BINARY} completion ${shell} OUTPUT_FILE ${OUT_DIR}/${name}.tmp
                  ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${BINARY} completion ${shell} failed (${rc}): ${err}")
  endif()
  file(RENAME ${OUT_DIR}/${name}.tmp ${OUT_DIR}/${name})
endforeach()
