# cmake -DBINARY=<kafka-backup> -DHELP2MAN=<help2man> -DGZIP=<gzip> -DOUT=<kafka-backup.1.gz>
#       -P man_page.cmake
# The man page kafka-backup(1): help2man turns `kafka-backup --help` and `--version` into NAME,
# SYNOPSIS, DESCRIPTION and OPTIONS; a COMMANDS section holds the --help of every command (found by
# walking the "Subcommands:" lists, nested ones too), followed by EXIT STATUS, ENVIRONMENT, FILES and
# SEE ALSO. Compressed with gzip -9n (reproducible: no name or time stamp), as Debian ships them.
foreach(var BINARY HELP2MAN GZIP OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "man_page.cmake: -D${var}=... is required")
  endif()
endforeach()
get_filename_component(dir ${OUT} DIRECTORY)
file(MAKE_DIRECTORY ${dir})

# `kafka-backup <args> --help`, which must succeed.
function(kb_help out_var)
  execute_process(COMMAND ${BINARY} ${ARGN} --help OUTPUT_VARIABLE help ERROR_VARIABLE err
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${BINARY} ${ARGN} --help failed (${rc}): ${err}")
  endif()
  set(${out_var} "${help}" PARENT_SCOPE)
endfunction()

# The command names listed under "Subcommands:" in a --help text.
function(kb_subcommands help out_var)
  set(names)
  string(FIND "${help}" "\nSubcommands:\n" at)
  if(at GREATER -1)
    string(SUBSTRING "${help}" ${at} -1 section)
    string(REGEX MATCHALL "\n  [a-z][a-z0-9-]*" found "${section}")
    foreach(name IN LISTS found)
      string(STRIP "${name}" name)
      list(APPEND names ${name})
    endforeach()
  endif()
  set(${out_var} ${names} PARENT_SCOPE)
endfunction()

# Text as roff, verbatim: backslashes and dashes escaped, no line read as a request.
function(kb_roff text out_var)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

set(commands_roff "")
kb_help(top)
kb_subcommands("${top}" pending)
while(pending)
  list(POP_FRONT pending command)
  string(REPLACE " " ";" args "${command}")
  kb_help(help ${args})
  string(STRIP "${help}" help)
  kb_roff("${help}" help_roff)
  kb_roff("kafka-backup ${command}" title)
  string(APPEND commands_roff ".SS \"${title}\"\n.nf\n${help_roff}\n.fi\n")
  kb_subcommands("${help}" nested)
  foreach(sub IN LISTS nested)
    list(APPEND pending "${command} ${sub}")
  endforeach()
endwhile()

file(WRITE ${dir}/kafka-backup.h2m "[COMMANDS]
Each command's own options; the options above (\\-\\-config, \\-\\-log\\-level) come before the
command: \\fBkafka\\-backup \\-\\-config backup.yaml backup \\-\\-once\\fR.
${commands_roff}
[EXIT STATUS]
.TP
.B 0
success
.TP
.B 1
the operation failed; the message names the object key, topic/partition or offset at fault
.TP
.B 2
invalid usage or configuration (unknown flag, unknown config key, bad value), printed before
anything is read from the store or the cluster
.TP
.B 3
\\fBrestore\\fR only: partial \\(em every partition restored, but consumer groups were left behind
[ENVIRONMENT]
.TP
.B KAFKA_BACKUP_CONFIG
the configuration file, when \\-\\-config is not given
.TP
.B AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_REGION, ...
S3 credentials and settings (the credentials chain of configuration.md)
.PP
Any other variable can be used in the configuration file as \\fB\${NAME}\\fR or
\\fB\${NAME:\\-default}\\fR.
[FILES]
.TP
.I /etc/kafka-backup/NAME.yaml
configuration of the systemd service \\fBkafka\\-backup@NAME.service\\fR
.TP
.I /etc/kafka-backup/NAME.env
its secrets, as environment variables (read by systemd, mode 0600)
.TP
.I /var/lib/kafka-backup/NAME
its state directory, the default place of a local store
.TP
.I /usr/share/doc/kafka-backup/examples/
commented example configurations
[SEE ALSO]
The full documentation (every configuration key, operations, security, the backup format) is in
.I /usr/share/doc/kafka-backup/
(configuration.md, operations.md, security.md, format.md).
")

execute_process(
  COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section=1
          "--name=backup and restore of Apache Kafka topics to S3 or a local directory"
          --include=${dir}/kafka-backup.h2m --output=${dir}/kafka-backup.1 ${BINARY}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed (${rc}): ${err}")
endif()
execute_process(COMMAND ${GZIP} -9nf ${dir}/kafka-backup.1 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip of ${dir}/kafka-backup.1 failed (${rc})")
endif()
if(NOT "${dir}/kafka-backup.1.gz" STREQUAL "${OUT}")
  file(RENAME ${dir}/kafka-backup.1.gz ${OUT})
endif()
