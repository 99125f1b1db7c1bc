# Tripwire: a frozen header must never be edited (ABI-2). If this test fails,
# restore sdk/abi/<VERSION>/include/autoarr/provider.h from git: changes go
# into sdk/include/autoarr/provider.h as appends, never into a frozen copy.
file(SHA256 "${FROZEN_HEADER}" actual)
if(NOT actual STREQUAL EXPECTED_SHA256)
  message(FATAL_ERROR "frozen ABI ${VERSION} header changed: sha256 ${actual}, recorded ${EXPECTED_SHA256}")
endif()
message(STATUS "frozen ABI ${VERSION} header unchanged (${actual})")
