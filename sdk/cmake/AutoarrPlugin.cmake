# autoarr_add_provider_plugin(<target>
#     ID <id> [NAME <name>] [VERSION <version>] [PRIORITY <n>]
#     SOURCES <src>...
#     [OUTPUT_DIRECTORY <dir>]     # default: <build>/lib/autoarr/plugins/<id>
#     [INSTALL_DIRECTORY <dir>]    # default: lib/autoarr/plugins/<id>
#     [INSTALL_COMPONENT <name>]   # default: plugin-<id>
#     [ABI_INCLUDE_DIR <dir>]      # compile against another (frozen) header copy
#     [NO_MANIFEST] [NO_INSTALL])
#
# Builds a provider plugin the one way the host accepts (docs/abi-policy.md
# ABI-9): a MODULE library with hidden visibility, a version script exporting
# only autoarr_provider_negotiate, and -z defs so a missing symbol fails the
# link instead of the load. Writes manifest.json beside the library.
# First-party plugins use this function exactly as a third party would.

# (the version script is found beside this file, whichever directory calls us)

function(autoarr_add_provider_plugin target)
  cmake_parse_arguments(P "NO_MANIFEST;NO_INSTALL"
    "ID;NAME;VERSION;PRIORITY;OUTPUT_DIRECTORY;INSTALL_DIRECTORY;INSTALL_COMPONENT;ABI_INCLUDE_DIR"
    "SOURCES" ${ARGN})
  if(NOT P_ID)
    message(FATAL_ERROR "autoarr_add_provider_plugin(${target}): ID is required")
  endif()
  if(NOT P_ID MATCHES "^[a-z0-9][a-z0-9._-]*$")
    message(FATAL_ERROR "autoarr_add_provider_plugin(${target}): ID '${P_ID}' must match [a-z0-9][a-z0-9._-]*")
  endif()
  if(NOT P_SOURCES)
    message(FATAL_ERROR "autoarr_add_provider_plugin(${target}): SOURCES is required")
  endif()
  if(NOT P_NAME)
    set(P_NAME ${P_ID})
  endif()
  if(NOT P_VERSION)
    set(P_VERSION 0.0.0)
  endif()
  if(NOT DEFINED P_PRIORITY)
    set(P_PRIORITY 100)
  endif()
  if(NOT P_OUTPUT_DIRECTORY)
    if(DEFINED AUTOARR_PLUGIN_BUILD_DIR)
      set(P_OUTPUT_DIRECTORY ${AUTOARR_PLUGIN_BUILD_DIR}/${P_ID})
    else()
      set(P_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/plugins/${P_ID})
    endif()
  endif()
  if(NOT P_INSTALL_DIRECTORY)
    set(P_INSTALL_DIRECTORY lib/autoarr/plugins/${P_ID})
  endif()
  if(NOT P_INSTALL_COMPONENT)
    set(P_INSTALL_COMPONENT plugin-${P_ID})
  endif()

  set(_AUTOARR_PLUGIN_MAP ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/autoarr-plugin.map)
  add_library(${target} MODULE ${P_SOURCES})
  if(P_ABI_INCLUDE_DIR)
    target_include_directories(${target} PRIVATE ${P_ABI_INCLUDE_DIR})
  elseif(TARGET Autoarr::sdk)
    target_link_libraries(${target} PRIVATE Autoarr::sdk)
  else()
    message(FATAL_ERROR "autoarr_add_provider_plugin: Autoarr::sdk not found; call find_package(AutoarrSDK)")
  endif()
  set_target_properties(${target} PROPERTIES
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIRECTORY}
    LINK_DEPENDS ${_AUTOARR_PLUGIN_MAP})
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${_AUTOARR_PLUGIN_MAP}" "LINKER:-z,defs" "LINKER:-z,now")

  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(arch x86_64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
    set(arch aarch64)
  else()
    set(arch ${CMAKE_SYSTEM_PROCESSOR})
  endif()

  if(NOT P_NO_MANIFEST)
    file(GENERATE OUTPUT ${P_OUTPUT_DIRECTORY}/manifest.json CONTENT
"{
  \"manifest_version\": \"1.0\",
  \"id\": \"${P_ID}\",
  \"name\": \"${P_NAME}\",
  \"version\": \"${P_VERSION}\",
  \"library\": \"$<TARGET_FILE_NAME:${target}>\",
  \"architecture\": \"${arch}\",
  \"abi_version\": \"1.0\",
  \"priority\": ${P_PRIORITY}
}
")
  endif()
  if(NOT P_NO_INSTALL)
    # Packaging (packaging/CMakeLists.txt) makes one package per plugin component.
    set_property(GLOBAL APPEND PROPERTY AUTOARR_PLUGIN_COMPONENTS ${P_INSTALL_COMPONENT})
    install(TARGETS ${target} LIBRARY DESTINATION ${P_INSTALL_DIRECTORY} COMPONENT ${P_INSTALL_COMPONENT})
    if(NOT P_NO_MANIFEST)
      install(FILES ${P_OUTPUT_DIRECTORY}/manifest.json DESTINATION ${P_INSTALL_DIRECTORY}
              COMPONENT ${P_INSTALL_COMPONENT})
    endif()
  endif()
endfunction()
