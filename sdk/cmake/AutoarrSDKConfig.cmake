# find_package(AutoarrSDK) -- gives Autoarr::sdk and autoarr_add_provider_plugin().
include(${CMAKE_CURRENT_LIST_DIR}/AutoarrSDKTargets.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/AutoarrPlugin.cmake)
