# The network-fault tests (issue 15), included from tools/faults/CMakeLists.txt: zaio
# against libzmq 4.3.4 in one process, through the fault relay, every fault on each
# pattern in both roles (tests/tools/test_faults.c). One entry per pattern and backend,
# label "faults" (ctest -L faults).
pkg_check_modules(LIBZMQ REQUIRED IMPORTED_TARGET libzmq)
pkg_check_modules(CRITERION REQUIRED IMPORTED_TARGET criterion)
add_executable(test_faults ${CMAKE_CURRENT_LIST_DIR}/test_faults.c)
target_link_libraries(test_faults PRIVATE zaio zaio_relay PkgConfig::LIBZMQ PkgConfig::CRITERION)
foreach(backend ${ZAIO_BACKENDS})
  foreach(pattern dealer_router req_rep push_pull pub_sub)
    add_test(NAME faults_${pattern}_${backend}
      COMMAND test_faults --jobs 1 --filter "${pattern}/*")
    set_tests_properties(faults_${pattern}_${backend} PROPERTIES
      ENVIRONMENT "ZAIO_BACKEND=${backend}" LABELS "faults" TIMEOUT 300)
    zaio_test_checks(faults_${pattern}_${backend} CRITERION WAITS)
  endforeach()
endforeach()

# zaio-soak --faults: the soak's traffic through the relay with faults at random for the
# whole probing phase; passes only on the soak's PASS (losses only where a fault cut the
# connection, nothing corrupt, twice or reordered, live records back, zero after close).
# Under ASan RSS is not judged (the allocator's quarantine grows it; see soak_tests.cmake).
set(faults_rss_bound 16)
if(ZAIO_SANITIZE)
  set(faults_rss_bound 1024)
endif()
foreach(backend ${ZAIO_BACKENDS})
  add_test(NAME soak_faults_${backend}
    COMMAND $<TARGET_FILE:zaio-soak> --faults=500ms --heartbeat 250ms --backend ${backend} --duration 10s --interval 500ms
            --progress 2s --rss-bound ${faults_rss_bound} --png ""
            -o ${CMAKE_CURRENT_BINARY_DIR}/soak_faults_${backend})
  set_tests_properties(soak_faults_${backend} PROPERTIES LABELS "faults;soak" TIMEOUT 300
    PASS_REGULAR_EXPRESSION "verdict: +PASS")
  zaio_test_checks(soak_faults_${backend} WAITS)
endforeach()

# zaio-relay as a command: the endpoint line, a scripted RST that lands mid-frame, faults
# typed on stdin, the counts at exit (tests/tools/relay_cli.py).
add_test(NAME tools_relay_cli
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/relay_cli.py $<TARGET_FILE:zaio-relay>)
set_tests_properties(tools_relay_cli PROPERTIES LABELS "faults" TIMEOUT 120)
zaio_test_checks(tools_relay_cli)

# A link down and up between two network namespaces (veth), shorter than the heartbeat
# timeout: TCP must carry the soak's connection through, nothing lost
# (tests/tools/link_flap.sh). Needs root; skipped (77) without it.
foreach(backend ${ZAIO_BACKENDS})
  add_test(NAME faults_link_flap_${backend}
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/link_flap.sh $<TARGET_FILE:zaio-soak>
            $<TARGET_FILE:zaio-soak-peer> ${backend} ${faults_rss_bound})
  set_tests_properties(faults_link_flap_${backend} PROPERTIES LABELS "faults" TIMEOUT 120
    SKIP_RETURN_CODE 77)
  zaio_test_checks(faults_link_flap_${backend} WAITS)
endforeach()
