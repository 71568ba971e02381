# zaio_test_checks(<test>... [CRITERION]): what a ctest entry checks besides its exit
# code. Each directory calls it for the tests it adds (CMake 3.25 cannot set the
# properties of another directory's tests).
#  CRITERION: the entry runs Criterion tests; it fails when none ran, which Criterion
#    reports with exit code 0 (a --filter that matches nothing, a renamed suite).
#  In a ZAIO_SANITIZE build every entry fails on a sanitizer report in its output,
#    whichever process made it: tests/common/sanitize_options.c makes our programs exit
#    non-zero on one, and this catches the reports of a process whose exit status a
#    script or driver does not look at.
function(zaio_test_checks)
  cmake_parse_arguments(arg "CRITERION" "" "" ${ARGN})
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
