# zaio-probe's tests, included from tools/probe/CMakeLists.txt (so they need no edit of
# tests/CMakeLists.txt). libzmq is linked here only, as the real server to probe.
pkg_check_modules(CRITERION REQUIRED IMPORTED_TARGET criterion)
pkg_check_modules(LIBZMQ REQUIRED IMPORTED_TARGET libzmq)

set(ZPROBE_TEST_DIR ${PROJECT_SOURCE_DIR}/tests/tools)
add_library(zprobe_test_listener STATIC ${ZPROBE_TEST_DIR}/listener.c)
target_include_directories(zprobe_test_listener PUBLIC ${ZPROBE_TEST_DIR})
target_link_libraries(zprobe_test_listener PUBLIC Threads::Threads)

add_executable(test_probe ${ZPROBE_TEST_DIR}/test_probe.c)
target_include_directories(test_probe PRIVATE ${PROJECT_SOURCE_DIR}/tests/common)
target_link_libraries(test_probe PRIVATE zaio_probe zprobe_test_listener
                      PkgConfig::CRITERION PkgConfig::LIBZMQ)
add_test(NAME tools_probe COMMAND test_probe --jobs 2)
set_tests_properties(tools_probe PROPERTIES LABELS "tools" TIMEOUT 120)
zaio_test_checks(tools_probe CRITERION)

add_executable(test_probe_cli ${ZPROBE_TEST_DIR}/test_probe_cli.c)
target_link_libraries(test_probe_cli PRIVATE zprobe_test_listener PkgConfig::CRITERION
                      PkgConfig::LIBZMQ)
target_compile_definitions(test_probe_cli PRIVATE ZPROBE_BIN="$<TARGET_FILE:zaio-probe>")
add_dependencies(test_probe_cli zaio-probe)
add_test(NAME tools_probe_cli COMMAND test_probe_cli --jobs 2)
set_tests_properties(tools_probe_cli PROPERTIES LABELS "tools" TIMEOUT 120)
zaio_test_checks(tools_probe_cli CRITERION)

# the CURVE modes against a libzmq CURVE server
add_executable(test_probe_curve ${ZPROBE_TEST_DIR}/test_probe_curve.c)
target_link_libraries(test_probe_curve PRIVATE zaio_probe PkgConfig::CRITERION PkgConfig::LIBZMQ)
add_test(NAME tools_probe_curve COMMAND test_probe_curve --jobs 2)
set_tests_properties(tools_probe_curve PROPERTIES LABELS "tools" TIMEOUT 120)
zaio_test_checks(tools_probe_curve CRITERION)
