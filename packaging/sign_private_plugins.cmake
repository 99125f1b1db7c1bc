# Premium builds sign their private plugins when they build (and so package)
# them: docs/abi-policy.md LOAD-9, docs/operations.md "Signed plugins".
#   AUTOARR_SIGNING_KEY   the Ed25519 private key (PEM) that signs them; when empty,
#                         a key made for this build tree (never leaves it) signs them.
# The public half goes to <prefix>/share/autoarr/trusted-keys/, which the host
# trusts by default, in the build tree and in the autoarr package.
set(AUTOARR_SIGNING_KEY "" CACHE FILEPATH
    "Ed25519 private key (PEM) that signs private plugins; empty: a key generated in the build tree")

function(autoarr_sign_private_plugins)
  set(dirs ${ARGN})
  if(NOT dirs)
    return()
  endif()
  find_program(AUTOARR_OPENSSL openssl REQUIRED)
  set(key ${AUTOARR_SIGNING_KEY})
  if(NOT key)
    set(key ${PROJECT_BINARY_DIR}/signing/build-signing-key.pem)
    add_custom_command(OUTPUT ${key}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/signing
      COMMAND ${AUTOARR_OPENSSL} genpkey -algorithm ed25519 -out ${key}
      COMMENT "Generating this build tree's plugin signing key")
  endif()
  set(pub ${PROJECT_BINARY_DIR}/share/autoarr/trusted-keys/autoarr-build.pem)
  add_custom_command(OUTPUT ${pub}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/share/autoarr/trusted-keys
    COMMAND ${AUTOARR_OPENSSL} pkey -in ${key} -pubout -out ${pub}
    DEPENDS ${key}
    COMMENT "Writing the public key that verifies this build's private plugins")
  install(FILES ${pub} DESTINATION ${CMAKE_INSTALL_DATADIR}/autoarr/trusted-keys COMPONENT autoarr)
  set(signatures ${pub})
  foreach(dir IN LISTS dirs)
    get_filename_component(name ${dir} NAME)
    get_property(targets DIRECTORY ${PROJECT_BINARY_DIR}/extra-plugins/${name} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t IN LISTS targets)
      get_target_property(type ${t} TYPE)
      if(NOT type STREQUAL "MODULE_LIBRARY")
        continue()
      endif()
      get_target_property(out ${t} LIBRARY_OUTPUT_DIRECTORY)
      get_filename_component(id ${out} NAME)
      file(RELATIVE_PATH rel ${PROJECT_BINARY_DIR} ${out})
      add_custom_command(OUTPUT ${out}/plugin.sig
        COMMAND $<TARGET_FILE:autoarr> --log-level warn plugins sign --key ${key} ${out}
        DEPENDS ${t} autoarr ${key} ${out}/manifest.json
        COMMENT "Signing the private plugin ${id}")
      install(FILES ${out}/plugin.sig DESTINATION ${rel} COMPONENT plugin-${id})
      list(APPEND signatures ${out}/plugin.sig)
    endforeach()
  endforeach()
  add_custom_target(sign_private_plugins ALL DEPENDS ${signatures})
endfunction()
