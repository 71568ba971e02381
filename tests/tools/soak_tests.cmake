# zaio-soak's ctest entries, included from tools/soak/CMakeLists.txt.
#  soak_<backend>: a short soak of the normal build (every probe mode, libzmq traffic)
#    that passes only on the soak's own PASS verdict.
#  soak_legacy_0_1_26_detected: the same soak built with ZAIO_AIO_LEGACY_0_1_26=ON
#    (AsyncIO 0.1.26's release behaviour) must FAIL with live records growing with
#    the probes (soak_legacy.sh).
# Under ASan, freed memory waits in the allocator's quarantine (256 MiB by default), so
# RSS grows whatever zaio does: there LeakSanitizer, at exit, judges memory instead.
set(ZAIO_SOAK_RSS_BOUND 16)
if(ZAIO_SANITIZE)
  set(ZAIO_SOAK_RSS_BOUND 1024)
endif()
foreach(backend ${ZAIO_BACKENDS})
  add_test(NAME soak_${backend}
    COMMAND zaio-soak --backend ${backend} --duration 10s --interval 500ms --progress 2s
            --rss-bound ${ZAIO_SOAK_RSS_BOUND} -o ${CMAKE_CURRENT_BINARY_DIR}/soak_${backend})
  set_tests_properties(soak_${backend} PROPERTIES LABELS "soak" TIMEOUT 300)
  zaio_test_checks(soak_${backend} WAITS)
  # the same over ipc:// (the libzmq peer and the probes connect to a Unix-domain path;
  # there the rst probes are plain closes)
  add_test(NAME soak_ipc_${backend}
    COMMAND zaio-soak --backend ${backend} --bind ipc://* --duration 10s --interval 500ms
            --progress 2s --rss-bound ${ZAIO_SOAK_RSS_BOUND} -o ${CMAKE_CURRENT_BINARY_DIR}/soak_ipc_${backend})
  set_tests_properties(soak_ipc_${backend} PROPERTIES LABELS "soak" TIMEOUT 300
    PASS_REGULAR_EXPRESSION "verdict: +PASS")
  zaio_test_checks(soak_ipc_${backend} WAITS)
  # a CURVE server (the libzmq peer a CURVE client), and the CURVE probes in the mix:
  # garbage and truncated HELLOs, replayed INITIATEs; none may get a READY
  add_test(NAME soak_curve_${backend}
    COMMAND zaio-soak --curve --backend ${backend} --duration 10s --interval 500ms
            --progress 2s --rss-bound ${ZAIO_SOAK_RSS_BOUND} -o ${CMAKE_CURRENT_BINARY_DIR}/soak_curve_${backend})
  set_tests_properties(soak_curve_${backend} PROPERTIES LABELS "soak" TIMEOUT 300
    PASS_REGULAR_EXPRESSION "verdict: +PASS")
  zaio_test_checks(soak_curve_${backend} WAITS)
endforeach()

# Every other server type, a short soak each on the default backend: each pairing's
# flow (echo, to the server, from it) checked end to end against libzmq. STREAM's peer
# is a libzmq STREAM socket, and every probe mode is data its server closes itself.
foreach(type REP DEALER PAIR REQ PULL SUB XSUB PUSH PUB XPUB STREAM)
  string(TOLOWER ${type} t)
  add_test(NAME soak_type_${t}
    COMMAND zaio-soak --type ${type} --duration 2s --interval 500ms --progress 1s --png ""
            --rss-bound ${ZAIO_SOAK_RSS_BOUND} -o ${CMAKE_CURRENT_BINARY_DIR}/soak_type_${t})
  set_tests_properties(soak_type_${t} PROPERTIES LABELS "soak" TIMEOUT 300)
  zaio_test_checks(soak_type_${t} WAITS)
endforeach()
# STREAM over ipc:// as well: raw peers on a Unix-domain path (tools/soak/stream.h)
add_test(NAME soak_type_stream_ipc
  COMMAND zaio-soak --type STREAM --bind ipc://* --duration 2s --interval 500ms --progress 1s
          --png "" --rss-bound ${ZAIO_SOAK_RSS_BOUND} -o ${CMAKE_CURRENT_BINARY_DIR}/soak_type_stream_ipc)
set_tests_properties(soak_type_stream_ipc PROPERTIES LABELS "soak" TIMEOUT 300)
zaio_test_checks(soak_type_stream_ipc WAITS)

# The checker itself: loss, order, corruption and PUB's late start (tools/soak/traffic.c
# built against zaio, as zaio-soak has it).
pkg_check_modules(CRITERION REQUIRED IMPORTED_TARGET criterion)
add_executable(test_soak_traffic ${PROJECT_SOURCE_DIR}/tests/tools/test_soak_traffic.c
               ${PROJECT_SOURCE_DIR}/tools/soak/traffic.c ${PROJECT_SOURCE_DIR}/tools/soak/stream.c)
target_include_directories(test_soak_traffic BEFORE PRIVATE ${PROJECT_SOURCE_DIR}/include/compat
                           ${PROJECT_SOURCE_DIR}/tools/soak)
target_link_libraries(test_soak_traffic PRIVATE zaio PkgConfig::CRITERION)
add_test(NAME tools_soak_traffic COMMAND test_soak_traffic --jobs 1)
set_tests_properties(tools_soak_traffic PROPERTIES LABELS "tools" TIMEOUT 120)
zaio_test_checks(tools_soak_traffic CRITERION)

# The STREAM soak server's side (tools/soak/stream.c) against raw TCP clients: records
# reassembled and echoed, each kind of probe closed and counted as what it sent.
add_executable(test_soak_stream ${PROJECT_SOURCE_DIR}/tests/tools/test_soak_stream.c
               ${PROJECT_SOURCE_DIR}/tools/soak/traffic.c ${PROJECT_SOURCE_DIR}/tools/soak/stream.c)
target_include_directories(test_soak_stream BEFORE PRIVATE ${PROJECT_SOURCE_DIR}/include/compat
                           ${PROJECT_SOURCE_DIR}/tools/soak)
target_link_libraries(test_soak_stream PRIVATE zaio PkgConfig::CRITERION)
add_test(NAME tools_soak_stream COMMAND test_soak_stream --jobs 1)
set_tests_properties(tools_soak_stream PROPERTIES LABELS "tools" TIMEOUT 120)
zaio_test_checks(tools_soak_stream CRITERION)

if(NOT ZAIO_AIO_LEGACY_0_1_26)
  # shares the contract control's legacy build (same configuration): one at a time
  add_test(NAME soak_legacy_0_1_26_detected
    COMMAND ${PROJECT_SOURCE_DIR}/tests/tools/soak_legacy.sh ${PROJECT_SOURCE_DIR}
            ${CMAKE_BINARY_DIR}/legacy ${ZAIO_BACKENDS})
  set_tests_properties(soak_legacy_0_1_26_detected PROPERTIES
    LABELS "soak;no-sanitize" RESOURCE_LOCK legacy_build TIMEOUT 900)
  zaio_test_checks(soak_legacy_0_1_26_detected)
endif()

# zaio-soak --compare, short: today's zaio, the legacy build soak_legacy_0_1_26_detected
# made (its fixture) and libzmq under the same 2,000 connect-and-reset probes; passes
# when today's zaio and libzmq PASS and the legacy build FAILs, as compare.c judges.
if(NOT ZAIO_AIO_LEGACY_0_1_26)
  set_tests_properties(soak_legacy_0_1_26_detected PROPERTIES FIXTURES_SETUP legacy_soak)
  add_test(NAME soak_compare
    COMMAND zaio-soak --compare --probes 2000 --settle 2s
            --legacy ${CMAKE_BINARY_DIR}/legacy/tools/soak/zaio-soak
            -o ${CMAKE_CURRENT_BINARY_DIR}/soak_compare)
  set_tests_properties(soak_compare PROPERTIES LABELS "soak;no-sanitize"
    FIXTURES_REQUIRED legacy_soak RESOURCE_LOCK legacy_build TIMEOUT 300)
  zaio_test_checks(soak_compare)
endif()
