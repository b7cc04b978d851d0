# Installation (`cmake --install`) and the Debian package (CPack, `cpack -G DEB`): the binary, its
# man page and shell completions (both generated from the built binary), the documentation, the
# example configs and the systemd unit. scripts/package-test.sh builds, installs and exercises the
# package; docs/operations.md ("Installing", "Run as a service") is the user's side of it.
#
# Layout under the prefix (/usr in the package):
#   bin/kafka-backup
#   share/man/man1/kafka-backup.1.gz                 help2man of --help, every command's --help
#   share/bash-completion/completions/kafka-backup   `kafka-backup completion bash`
#   share/zsh/vendor-completions/_kafka-backup       ... zsh (Debian's vendor directory)
#   share/fish/vendor_completions.d/kafka-backup.fish
#   share/doc/kafka-backup/{README.md,*.md,examples/}
#   lib/systemd/system/kafka-backup@.service
include(GNUInstallDirs)
# `cmake --install` and cpack install what was built, without building `all` first (the Release
# preset's `all` includes the benchmarks): build kafka-backup and kb_install_files before.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(KB_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/kafka-backup)
set(_kb_gen ${PROJECT_BINARY_DIR}/generated/install)

install(TARGETS kafka-backup RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md DESTINATION ${KB_DOC_DIR})
install(DIRECTORY docs/ DESTINATION ${KB_DOC_DIR} FILES_MATCHING PATTERN "*.md")
install(DIRECTORY examples/ DESTINATION ${KB_DOC_DIR}/examples)
install(FILES deploy/systemd/kafka-backup@.service DESTINATION lib/systemd/system)

# Shell completions, from the CLI definition itself (src/cli/completion.h).
set(_kb_completions ${_kb_gen}/kafka-backup.bash ${_kb_gen}/_kafka-backup
    ${_kb_gen}/kafka-backup.fish)
add_custom_command(OUTPUT ${_kb_completions}
  COMMAND ${CMAKE_COMMAND} -DBINARY=$<TARGET_FILE:kafka-backup> -DOUT_DIR=${_kb_gen}
          -P ${PROJECT_SOURCE_DIR}/cmake/scripts/completions.cmake
  DEPENDS kafka-backup ${PROJECT_SOURCE_DIR}/cmake/scripts/completions.cmake
  COMMENT "Generating bash, zsh and fish completion of kafka-backup")
install(FILES ${_kb_gen}/kafka-backup.bash DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions
        RENAME kafka-backup)
install(FILES ${_kb_gen}/_kafka-backup DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/zsh/vendor-completions)
install(FILES ${_kb_gen}/kafka-backup.fish DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/fish/vendor_completions.d)
set(_kb_generated ${_kb_completions})

# The man page, by Debian's help2man (scripts/install-deps.sh installs it).
find_program(KB_HELP2MAN help2man)
find_program(KB_GZIP gzip)
if(KB_HELP2MAN AND KB_GZIP)
  add_custom_command(OUTPUT ${_kb_gen}/kafka-backup.1.gz
    COMMAND ${CMAKE_COMMAND} -DBINARY=$<TARGET_FILE:kafka-backup> -DHELP2MAN=${KB_HELP2MAN}
            -DGZIP=${KB_GZIP} -DOUT=${_kb_gen}/kafka-backup.1.gz
            -P ${PROJECT_SOURCE_DIR}/cmake/scripts/man_page.cmake
    DEPENDS kafka-backup ${PROJECT_SOURCE_DIR}/cmake/scripts/man_page.cmake
    COMMENT "Generating the man page kafka-backup(1) with help2man")
  install(FILES ${_kb_gen}/kafka-backup.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  list(APPEND _kb_generated ${_kb_gen}/kafka-backup.1.gz)
else()
  message(WARNING "help2man or gzip not found: no man page is built or installed "
                  "(scripts/install-deps.sh installs help2man)")
endif()
add_custom_target(kb_install_files ALL DEPENDS ${_kb_generated})

# The Debian package: kafka-backup_<version>_<arch>.deb. Its Depends are the Debian runtime
# libraries the binary links, found by dpkg-shlibdeps (librdkafka is linked statically).
set(KB_PACKAGE_MAINTAINER "Kafka Backup maintainers <maintainers@users.noreply.b-seed-1dcdbc88.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kafka-backup)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "backup and restore of Apache Kafka topics to S3 or a local directory")
set(CPACK_PACKAGE_DESCRIPTION
    "kafka-backup copies every partition of Kafka topics, as an ordinary consumer, to a local\n"
    "directory or an S3-compatible object store, and restores topics (all of them or a time\n"
    "window) with their consumer group offsets. One native binary on librdkafka; a systemd\n"
    "template unit (kafka-backup@NAME.service) runs /etc/kafka-backup/NAME.yaml as a daemon.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${KB_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# HTTPS object stores (AWS S3) need the CA certificates; libcurl only recommends them.
set(CPACK_DEBIAN_PACKAGE_DEPENDS ca-certificates)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/package)
include(CPack)
