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
    zaio_test_checks(faults_${pattern}_${backend} CRITERION)
  endforeach()
endforeach()
