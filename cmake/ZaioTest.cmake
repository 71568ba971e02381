# zaio_test_checks(<test>... [CRITERION] [WAITS]): what a ctest entry checks besides its
# exit code, and how much of the machine it takes. Each directory calls it for the tests
# it adds (CMake 3.25 cannot set the properties of another directory's tests).
#  CRITERION: the entry runs Criterion tests; it fails when none ran, which Criterion
#    reports with exit code 0 (a --filter that matches nothing, a renamed suite).
#  WAITS: the entry spends most of its time waiting, not computing: a heartbeat's
#    silence, a soak's fixed duration, a peer's reconnect interval (measured at 5-35 %
#    of a core, the interop matrix's lockstep REQ entries up to 75 %). `make test` gives
#    ctest two slots a core (TEST_JOBS in the Makefile); an entry takes two (PROCESSORS),
#    one that waits takes one, so waiting entries overlap each other and a busy one,
#    and two busy ones never share a core. The matrix alone is 184 entries of about 5 s.
#    Not under the sanitizers: there every entry takes two, as they were measured on
#    the plain build, and the timeouts some of them test (heartbeats of 300 ms to 2 s)
#    have less room already.
#  In a ZAIO_SANITIZE build every entry fails on a sanitizer report in its output,
#    whichever process made it: tests/common/sanitize_options.c makes our programs exit
#    non-zero on one, and this catches the reports of a process whose exit status a
#    script or driver does not look at.
function(zaio_test_checks)
  cmake_parse_arguments(arg "CRITERION;WAITS" "" "" ${ARGN})
  if(arg_WAITS AND NOT ZAIO_SANITIZE)
    set_property(TEST ${arg_UNPARSED_ARGUMENTS} PROPERTY PROCESSORS 1)
  else()
    set_property(TEST ${arg_UNPARSED_ARGUMENTS} PROPERTY PROCESSORS 2)
  endif()
  set(fail "")
  if(arg_CRITERION)
    list(APPEND fail "Synthesis: Tested: 0 ")
  endif()
  if(ZAIO_SANITIZE)
    list(APPEND fail "ERROR: [A-Za-z]+Sanitizer" ": runtime error: ")
  endif()
  if(fail)
    set_property(TEST ${arg_UNPARSED_ARGUMENTS} APPEND PROPERTY FAIL_REGULAR_EXPRESSION ${fail})
  endif()
endfunction()
