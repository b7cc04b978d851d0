# Helpers that keep each src/<module>/CMakeLists.txt to a few lines.
#
#   kb_library(NAME SOURCES a.cc b.cc DEPS other_lib ...)
#   kb_test(NAME SOURCES a_test.cc DEPS lib ... [INTEGRATION])
#   kb_fuzz(NAME SOURCES a_fuzz.cc DEPS lib ...)
# Unit tests carry the CTest label "unit" and need no service; integration tests carry "integration"
# and read service addresses from the environment (see scripts/test.sh).

set(KB_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
    -Wcast-align -Wimplicit-fallthrough -Wformat=2
    # Designated initializers that rely on default member initializers are intended.
    -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 reports false -Wrestrict errors inside libstdc++ for `"literal" + std::string` at -O2+
  # (GCC bug 105329, fixed in GCC 13).
  list(APPEND KB_WARNINGS -Wno-restrict)
endif()
if(KB_WERROR)
  list(APPEND KB_WARNINGS -Werror)
endif()

if(KB_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# -DKB_BUILD_FUZZ=ON (scripts/fuzz.sh, build/fuzz): with clang, everything is compiled with
# coverage instrumentation for libFuzzer and with ASan/UBSan, so that the fuzz targets see into
# the libraries they call; only the kb_fuzz targets link libFuzzer's main.
set(KB_FUZZ_ENABLED OFF)
if(KB_BUILD_FUZZ AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(WARNING "the fuzz targets need clang (CC=clang CXX=clang++); not building them with "
                  "${CMAKE_CXX_COMPILER_ID}")
elseif(KB_BUILD_FUZZ)
  set(KB_FUZZ_ENABLED ON)
  set(KB_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
  add_compile_options(${KB_FUZZ_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()

function(kb_apply_options target)
  target_compile_options(${target} PRIVATE ${KB_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
endfunction()

function(kb_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  kb_apply_options(${name})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

function(kb_test name)
  if(NOT KB_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "INTEGRATION" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  kb_apply_options(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(ARG_INTEGRATION)
    set(label integration)
  else()
    set(label unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS ${label} DISCOVERY_TIMEOUT 60)
endfunction()

# A libFuzzer target (clang and -DKB_BUILD_FUZZ=ON only); scripts/fuzz.sh builds and runs every one
# of them (its list of targets must name it).
function(kb_fuzz name)
  if(NOT KB_FUZZ_ENABLED)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  kb_apply_options(${name})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()
