/* Size and offset of every field of the ABI 1.0 structs, compiled twice:
 * once against the frozen sdk/abi/1.0 header, once against the current
 * header (PROBE_FN names the copies; PROBE_1_1 adds what 1.1 appended).
 * abi_layout_test.cpp then checks that every field of each release is still
 * where that release put it (ABI-2). A release's list never changes: a later
 * one only adds its own entries under its own macro. */
#include "layout_probe.h"

#include <autoarr/provider.h>
#include <stddef.h>

#define F(T, f) {#T "." #f, sizeof(((T*)0)->f), offsetof(T, f)},
#define S(T) {#T, sizeof(T), (size_t)-1},
#define HDR(T) F(T, struct_type) F(T, struct_size)

static const layout_entry kEntries[] = {
    S(autoarr_error) HDR(autoarr_error) F(autoarr_error, code) F(autoarr_error, http_status) F(
        autoarr_error, retry_after_ms) F(autoarr_error, flags) F(autoarr_error, host_reserved)

        S(autoarr_call_context) HDR(autoarr_call_context) F(autoarr_call_context, deadline_ns) F(autoarr_call_context,
                                                                                                 host_reserved)

            S(autoarr_byte_sink) HDR(autoarr_byte_sink) F(autoarr_byte_sink, user) F(autoarr_byte_sink, write)

                S(autoarr_stream_event) HDR(autoarr_stream_event) F(autoarr_stream_event, kind) F(
                    autoarr_stream_event, reserved0) F(autoarr_stream_event, data) F(autoarr_stream_event, len)

                    S(autoarr_stream_handler) HDR(autoarr_stream_handler) F(autoarr_stream_handler, user) F(
                        autoarr_stream_handler, on_event)

                        S(autoarr_capabilities) HDR(autoarr_capabilities) F(autoarr_capabilities, flags) F(
                            autoarr_capabilities, max_concurrency) F(autoarr_capabilities, reserved0)

                            S(autoarr_host_services) HDR(autoarr_host_services) F(autoarr_host_services, log) F(
                                autoarr_host_services, log_enabled) F(autoarr_host_services, set_error_message)
                                F(autoarr_host_services, is_cancelled) F(autoarr_host_services, add_cancel_callback) F(
                                    autoarr_host_services, remove_cancel_callback)
                                    F(autoarr_host_services, monotonic_ns) F(autoarr_host_services, get_secret) F(
                                        autoarr_host_services, metric)

                                        S(autoarr_startup_args) HDR(autoarr_startup_args) F(
                                            autoarr_startup_args, abi_version) F(autoarr_startup_args, reserved0)
                                            F(autoarr_startup_args, host_services) F(
                                                autoarr_startup_args,
                                                host_context) F(autoarr_startup_args, host_version)

                                                S(autoarr_plugin_info) HDR(autoarr_plugin_info) F(
                                                    autoarr_plugin_info, id) F(autoarr_plugin_info,
                                                                               name) F(autoarr_plugin_info, version)
                                                    F(autoarr_plugin_info,
                                                      description) F(autoarr_plugin_info,
                                                                     default_priority) F(autoarr_plugin_info, reserved0)

                                                        S(autoarr_provider_table) HDR(autoarr_provider_table) F(
                                                            autoarr_provider_table,
                                                            module_startup) F(autoarr_provider_table, module_shutdown)
                                                            F(autoarr_provider_table,
                                                              instance_create) F(autoarr_provider_table,
                                                                                 instance_destroy) F(autoarr_provider_table,
                                                                                                     get_capabilities)
                                                                F(autoarr_provider_table, health_check) F(
                                                                    autoarr_provider_table,
                                                                    list_models) F(autoarr_provider_table,
                                                                                   complete) F(autoarr_provider_table,
                                                                                               stream) F(autoarr_provider_table,
                                                                                                         query_extension)

                                                                    S(autoarr_negotiate_input) HDR(
                                                                        autoarr_negotiate_input) F(autoarr_negotiate_input,
                                                                                                   min_abi_version)
                                                                        F(autoarr_negotiate_input, max_abi_version) F(
                                                                            autoarr_negotiate_input,
                                                                            host_version) F(autoarr_negotiate_input, next)

                                                                            S(autoarr_negotiate_output)
                                                                                HDR(autoarr_negotiate_output) F(
                                                                                    autoarr_negotiate_output,
                                                                                    abi_version) F(autoarr_negotiate_output,
                                                                                                   reserved0)
                                                                                    F(autoarr_negotiate_output, info) F(
                                                                                        autoarr_negotiate_output, table)
                                                                                        F(autoarr_negotiate_output,
                                                                                          next)
/* ABI 1.1 appended this field; the 1.0 probe does not know it. */
#ifdef PROBE_1_1
                                                                                            F(autoarr_host_services,
                                                                                              set_error_request_id)
#endif
};

const layout_entry* PROBE_FN(size_t* count) {
    *count = sizeof kEntries / sizeof kEntries[0];
    return kEntries;
}

/* Constants are part of the ABI too: codes, struct types, flags. */
#define C(x) {#x, (long long)(x)},
static const constant_entry kConstants[] = {
    C(AUTOARR_ABI_VERSION_1_0) C(AUTOARR_OK) C(AUTOARR_ERR_INTERNAL) C(AUTOARR_ERR_INVALID_ARGUMENT) C(
        AUTOARR_ERR_UNAVAILABLE) C(AUTOARR_ERR_RATE_LIMITED) C(AUTOARR_ERR_AUTH_FAILED) C(AUTOARR_ERR_DEADLINE_EXCEEDED)
        C(AUTOARR_ERR_CANCELLED) C(AUTOARR_ERR_BACKEND_ERROR) C(AUTOARR_ERR_INVALID_RESPONSE)
            C(AUTOARR_ERR_CONFIG_INVALID) C(AUTOARR_ERR_NOT_FOUND) C(AUTOARR_ERR_UNSUPPORTED)
                C(AUTOARR_ERR_REQUEST_TOO_LARGE) C(AUTOARR_ERR_PERMISSION_DENIED) C(AUTOARR_STRUCT_NEGOTIATE_INPUT)
                    C(AUTOARR_STRUCT_NEGOTIATE_OUTPUT) C(AUTOARR_STRUCT_PLUGIN_INFO) C(AUTOARR_STRUCT_PROVIDER_TABLE)
                        C(AUTOARR_STRUCT_HOST_SERVICES) C(AUTOARR_STRUCT_STARTUP_ARGS) C(AUTOARR_STRUCT_CALL_CONTEXT)
                            C(AUTOARR_STRUCT_ERROR) C(AUTOARR_STRUCT_BYTE_SINK) C(AUTOARR_STRUCT_STREAM_HANDLER)
                                C(AUTOARR_STRUCT_STREAM_EVENT) C(AUTOARR_STRUCT_CAPABILITIES) C(AUTOARR_LOG_TRACE)
                                    C(AUTOARR_LOG_DEBUG) C(AUTOARR_LOG_INFO) C(AUTOARR_LOG_WARN) C(AUTOARR_LOG_ERROR)
                                        C(AUTOARR_ERROR_FLAG_RETRYABLE) C(AUTOARR_ERROR_FLAG_AUTH_FAILED)
                                            C(AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT) C(AUTOARR_ERROR_FLAG_INCOMPLETE)
                                                C(AUTOARR_CAP_STREAMING) C(AUTOARR_CAP_JSON_MODE)
                                                    C(AUTOARR_CAP_JSON_SCHEMA) C(AUTOARR_CAP_THREAD_SAFE)
                                                        C(AUTOARR_CAP_LIST_MODELS) C(AUTOARR_EVENT_TEXT_DELTA)
                                                            C(AUTOARR_EVENT_USAGE) C(AUTOARR_EVENT_DONE)
#ifdef PROBE_1_1
                                                                C(AUTOARR_ABI_VERSION_1_1) C(AUTOARR_CAP_TOOLS)
                                                                    C(AUTOARR_EVENT_TOOL_CALL)
#endif
};

const constant_entry* CONST_FN(size_t* count) {
    *count = sizeof kConstants / sizeof kConstants[0];
    return kConstants;
}
