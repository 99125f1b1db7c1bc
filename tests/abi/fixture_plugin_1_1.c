/* A provider plugin in plain C, built against the FROZEN 1.1 header, that
 * uses what 1.1 appended only when negotiation chose 1.1 and the host's
 * table is long enough (ABI-4): the tool-call event, AUTOARR_CAP_TOOLS and
 * the set_error_request_id service. tests/abi/abi_versions_test.cpp loads it
 * in today's host and in a host that accepts only 1.0.
 *
 * complete() answers {"content":"abi 1.<minor> services <size>", ...}, so a
 * test sees what the plugin saw; a request containing "fail" fails with a
 * request id. stream() sends one tool call before its text, under 1.1 only.
 * With FIXTURE_ONLY_1_1 it refuses any host older than 1.1. */
#include <autoarr/provider.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FIXTURE_ID
#define FIXTURE_ID "v11-c"
#endif

static const autoarr_host_services* g_host;
static uint32_t g_abi;

struct autoarr_instance {
    int unused;
};

static int32_t fail(autoarr_error* err, int32_t code, const char* msg) {
    err->code = code;
    g_host->set_error_message(err, msg, strlen(msg));
    return code;
}

static int host_has_request_id_slot(void) {
    return g_abi >= AUTOARR_ABI_VERSION_1_1 && AUTOARR_HAS_FIELD(g_host, autoarr_host_services, set_error_request_id) &&
           g_host->set_error_request_id != NULL;
}

static int32_t AUTOARR_CALL fx_startup(const autoarr_startup_args* args, autoarr_error* err) {
    (void)err;
    g_host = args->host_services;
    g_abi = args->abi_version;
    return AUTOARR_OK;
}

static void AUTOARR_CALL fx_shutdown(void) {
    g_host = NULL;
}

static int32_t AUTOARR_CALL fx_create(const char* cfg, size_t len, autoarr_instance** out, autoarr_error* err) {
    (void)cfg;
    (void)len;
    *out = (autoarr_instance*)calloc(1, sizeof **out);
    return *out ? AUTOARR_OK : fail(err, AUTOARR_ERR_INTERNAL, "out of memory");
}

static void AUTOARR_CALL fx_destroy(autoarr_instance* inst) {
    free(inst);
}

static int32_t AUTOARR_CALL fx_caps(autoarr_instance* inst, autoarr_capabilities* caps) {
    (void)inst;
    caps->flags = AUTOARR_CAP_STREAMING | AUTOARR_CAP_THREAD_SAFE | AUTOARR_CAP_TOOLS;
    return AUTOARR_OK;
}

static int32_t AUTOARR_CALL fx_health(autoarr_instance* inst, const autoarr_call_context* call,
                                      const autoarr_byte_sink* detail, autoarr_error* err) {
    static const char ok[] = "{\"status\":\"healthy\"}";
    (void)inst;
    (void)call;
    (void)err;
    return detail->write(detail->user, ok, sizeof ok - 1) == 0 ? AUTOARR_OK : AUTOARR_ERR_REQUEST_TOO_LARGE;
}

static int contains(const char* s, size_t len, const char* word) {
    size_t n = strlen(word), i;
    for (i = 0; i + n <= len; ++i)
        if (memcmp(s + i, word, n) == 0) return 1;
    return 0;
}

static int32_t AUTOARR_CALL fx_complete(autoarr_instance* inst, const autoarr_call_context* call, const char* req,
                                        size_t len, const autoarr_byte_sink* out, autoarr_error* err) {
    char buf[256];
    (void)inst;
    (void)call;
    if (contains(req, len, "fail")) {
        if (host_has_request_id_slot()) g_host->set_error_request_id(err, "req-fixture-42", 14);
        return fail(err, AUTOARR_ERR_BACKEND_ERROR, "the fixture failed as asked");
    }
    snprintf(buf, sizeof buf,
             "{\"content\":\"abi 1.%u services %u tools %d\",\"model\":\"fixture\",\"finish_reason\":\"stop\"}",
             (unsigned)AUTOARR_ABI_VERSION_MINOR(g_abi), (unsigned)g_host->struct_size,
             contains(req, len, "\"tools\""));
    return out->write(out->user, buf, strlen(buf)) == 0 ? AUTOARR_OK : AUTOARR_ERR_REQUEST_TOO_LARGE;
}

static int32_t emit(const autoarr_stream_handler* h, uint32_t kind, const char* data) {
    autoarr_stream_event ev;
    ev.struct_type = AUTOARR_STRUCT_STREAM_EVENT;
    ev.struct_size = sizeof ev;
    ev.kind = kind;
    ev.reserved0 = 0;
    ev.data = data;
    ev.len = strlen(data);
    return h->on_event(h->user, &ev);
}

static int32_t AUTOARR_CALL fx_stream(autoarr_instance* inst, const autoarr_call_context* call, const char* req,
                                      size_t len, const autoarr_stream_handler* h, autoarr_error* err) {
    (void)inst;
    (void)call;
    (void)req;
    (void)len;
    if (g_abi >= AUTOARR_ABI_VERSION_1_1 &&
        emit(h, AUTOARR_EVENT_TOOL_CALL,
             "{\"index\":0,\"id\":\"call_1\",\"name\":\"get_config\",\"arguments\":{\"app\":\"sabnzbd\"}}") != 0)
        return fail(err, AUTOARR_ERR_CANCELLED, "stopped by host");
    if (emit(h, AUTOARR_EVENT_TEXT_DELTA, "text") != 0) return fail(err, AUTOARR_ERR_CANCELLED, "stopped by host");
    emit(h, AUTOARR_EVENT_DONE,
         g_abi >= AUTOARR_ABI_VERSION_1_1 ? "{\"model\":\"fixture\",\"finish_reason\":\"tool_calls\"}"
                                          : "{\"model\":\"fixture\",\"finish_reason\":\"stop\"}");
    return AUTOARR_OK;
}

static const autoarr_provider_table g_table = {AUTOARR_STRUCT_PROVIDER_TABLE,
                                               sizeof(autoarr_provider_table),
                                               fx_startup,
                                               fx_shutdown,
                                               fx_create,
                                               fx_destroy,
                                               fx_caps,
                                               fx_health,
                                               NULL,
                                               fx_complete,
                                               fx_stream,
                                               NULL};

static const autoarr_plugin_info g_info = {
    AUTOARR_STRUCT_PLUGIN_INFO, sizeof(autoarr_plugin_info), FIXTURE_ID, "Fixture 1.1 (C)", "1.1.0", "", 50, 0};

AUTOARR_PLUGIN_EXPORT int32_t AUTOARR_CALL autoarr_provider_negotiate(const autoarr_negotiate_input* in,
                                                                      autoarr_negotiate_output* out) {
#ifdef FIXTURE_ONLY_1_1
    const uint32_t oldest = AUTOARR_ABI_VERSION_1_1;
#else
    const uint32_t oldest = AUTOARR_ABI_VERSION_1_0;
#endif
    return autoarr_fill_negotiate_output(in, out, oldest, AUTOARR_ABI_VERSION_1_1, &g_info, &g_table);
}
