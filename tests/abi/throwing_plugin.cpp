// A careless C++ plugin: its entry point throws instead of returning an error
// code (it does not use the SDK helper). The host must contain it (ABI-11).
#include <autoarr/provider.h>

#include <stdexcept>

extern "C" AUTOARR_PLUGIN_EXPORT int32_t AUTOARR_CALL autoarr_provider_negotiate(const autoarr_negotiate_input*,
                                                                                 autoarr_negotiate_output*) {
    throw std::runtime_error("thrown across the C ABI");
}
