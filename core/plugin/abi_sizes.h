// The sizes of the ABI 1.0 structs, computed from their last 1.0 field, so
// the host keeps accepting 1.0 plugins after later minors append fields
// (docs/abi-policy.md ABI-4). Never change these.
#pragma once

#include <autoarr/provider.h>

#include <cstddef>

namespace autoarr::plugin::abi_1_0 {

constexpr std::size_t kProviderTableSize = offsetof(autoarr_provider_table, query_extension) + sizeof(void*);
constexpr std::size_t kPluginInfoSize = offsetof(autoarr_plugin_info, reserved0) + sizeof(uint32_t);
constexpr std::size_t kNegotiateOutputSize = offsetof(autoarr_negotiate_output, next) + sizeof(void*);
constexpr std::size_t kCapabilitiesSize = offsetof(autoarr_capabilities, reserved0) + sizeof(uint32_t);

}  // namespace autoarr::plugin::abi_1_0
