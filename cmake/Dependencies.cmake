# Every third-party dependency, found once, from Debian packages (scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# librdkafka: built from Debian's current stable source package into the cache by
# scripts/build-librdkafka.sh (pinned in scripts/librdkafka.pin) and linked statically, so that no
# system librdkafka (bookworm's 2.0.2) can be picked up by accident.
file(STRINGS ${PROJECT_SOURCE_DIR}/scripts/librdkafka.pin _kb_rdkafka_pin REGEX "^version=")
string(REPLACE "version=" "" KB_RDKAFKA_VERSION "${_kb_rdkafka_pin}")
if(DEFINED ENV{KB_CACHE_DIR})
  set(_kb_cache "$ENV{KB_CACHE_DIR}")
elseif(DEFINED ENV{XDG_CACHE_HOME})
  set(_kb_cache "$ENV{XDG_CACHE_HOME}/kafka-backup")
else()
  set(_kb_cache "$ENV{HOME}/.cache/kafka-backup")
endif()
set(KB_RDKAFKA_PREFIX "${_kb_cache}/librdkafka-${KB_RDKAFKA_VERSION}"
    CACHE PATH "librdkafka built by scripts/build-librdkafka.sh")
if(NOT EXISTS "${KB_RDKAFKA_PREFIX}/lib/librdkafka.a" OR
   NOT EXISTS "${KB_RDKAFKA_PREFIX}/lib/librdkafka++.a")
  message(FATAL_ERROR "librdkafka ${KB_RDKAFKA_VERSION} not found in ${KB_RDKAFKA_PREFIX}: "
                      "run scripts/install-deps.sh (or set KB_RDKAFKA_PREFIX)")
endif()
# What librdkafka.a itself links against (its pkg-config file's Requires.private).
pkg_check_modules(RDKAFKA_DEPS REQUIRED IMPORTED_TARGET zlib libcrypto libssl libsasl2 libzstd liblz4)
add_library(kb_rdkafka INTERFACE)
target_include_directories(kb_rdkafka SYSTEM INTERFACE "${KB_RDKAFKA_PREFIX}/include")
target_link_libraries(kb_rdkafka INTERFACE
  "${KB_RDKAFKA_PREFIX}/lib/librdkafka++.a" "${KB_RDKAFKA_PREFIX}/lib/librdkafka.a"
  PkgConfig::RDKAFKA_DEPS Threads::Threads m dl rt)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)  # segment codec lz4 (docs/format.md)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)  # topic and group patterns (common/name_pattern.h)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(prometheus-cpp REQUIRED)
if(NOT TARGET civetweb::civetweb)
  find_package(civetweb CONFIG REQUIRED)  # the metrics HTTP server
endif()
find_package(pugixml REQUIRED)
# mimalloc serves malloc for the kafka-backup binary (src/common/allocator.h says why); not in
# sanitizer or fuzzing builds, whose runtimes own malloc.
option(KB_MIMALLOC "Link the kafka-backup binary with mimalloc" ON)
add_library(kb_allocator INTERFACE)
if(KB_MIMALLOC AND NOT KB_SANITIZE AND NOT KB_BUILD_FUZZ)
  find_package(mimalloc 2.0 CONFIG REQUIRED)
  target_link_libraries(kb_allocator INTERFACE mimalloc)
endif()
if(KB_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(KB_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
