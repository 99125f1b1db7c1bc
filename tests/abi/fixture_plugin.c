/* A provider plugin in plain C, built against the FROZEN 1.0 header. One
 * source, many real shared objects: each FIXTURE_* macro turns it into the
 * plugin for one failure the host must reject (tests/plugin/loader_test.cpp).
 * Without any macro it is a complete, well-behaved echo provider. */
#include <autoarr/provider.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FIXTURE_ID
#define FIXTURE_ID "good-c"
#endif

static const autoarr_host_services* g_host;
static void* g_host_context;

struct autoarr_instance {
    char* config;
    size_t config_len;
};

static int32_t fail(autoarr_error* err, int32_t code, const char* msg) {
    err->code = code;
    if (g_host) g_host->set_error_message(err, msg, strlen(msg));
    return code;
}

static int32_t AUTOARR_CALL fx_startup(const autoarr_startup_args* args, autoarr_error* err) {
#if defined(FIXTURE_CRASH_AT_STARTUP)
    /* Takes the whole (in-process) host down: the log must already name it. */
    (void)args;
    (void)err;
    abort();
#elif defined(FIXTURE_STARTUP_FAILS)
    g_host = args->host_services;
    return fail(err, AUTOARR_ERR_CONFIG_INVALID, "fixture startup refuses to start");
#else
    (void)err;
    g_host = args->host_services;
    g_host_context = args->host_context;
    g_host->log(g_host_context, AUTOARR_LOG_DEBUG, "fixture started", 15);
    return AUTOARR_OK;
#endif
}

static void AUTOARR_CALL fx_shutdown(void) {
    g_host = NULL;
}

static int32_t AUTOARR_CALL fx_create(const char* cfg, size_t len, autoarr_instance** out, autoarr_error* err) {
    autoarr_instance* inst;
    if (len >= 7 && memcmp(cfg, "invalid", 7) == 0)
        return fail(err, AUTOARR_ERR_CONFIG_INVALID, "config key 'invalid' is not allowed");
    inst = (autoarr_instance*)calloc(1, sizeof *inst);
    if (!inst) return fail(err, AUTOARR_ERR_INTERNAL, "out of memory");
    inst->config = (char*)malloc(len + 1);
    if (!inst->config) {
        free(inst);
        return fail(err, AUTOARR_ERR_INTERNAL, "out of memory");
    }
    memcpy(inst->config, cfg, len);
    inst->config[len] = 0;
    inst->config_len = len;
    *out = inst;
    return AUTOARR_OK;
}

static void AUTOARR_CALL fx_destroy(autoarr_instance* inst) {
    free(inst->config);
    free(inst);
}

static int32_t AUTOARR_CALL fx_caps(autoarr_instance* inst, autoarr_capabilities* caps) {
    (void)inst;
    caps->flags = AUTOARR_CAP_STREAMING | AUTOARR_CAP_THREAD_SAFE;
    caps->max_concurrency = 0;
    return AUTOARR_OK;
}

static int32_t write_str(const autoarr_byte_sink* sink, const char* s) {
    return sink->write(sink->user, s, strlen(s));
}

static int32_t AUTOARR_CALL fx_health(autoarr_instance* inst, const autoarr_call_context* call,
                                      const autoarr_byte_sink* detail, autoarr_error* err) {
    (void)inst;
    if (g_host->is_cancelled(call)) return fail(err, AUTOARR_ERR_CANCELLED, "cancelled");
    if (write_str(detail, "{\"status\":\"healthy\"}") != 0) return fail(err, AUTOARR_ERR_INTERNAL, "sink refused");
    return AUTOARR_OK;
}

struct counter {
    size_t n;
};

static int32_t AUTOARR_CALL count_bytes(void* user, const char* data, size_t len) {
    (void)data;
    ((struct counter*)user)->n += len;
    return 0;
}

/* Echoes the request length, the config length and the length of the
 * "api_key" secret, so tests see that borrowed inputs, sinks and the secret
 * service all work through the ABI (the secret itself is never echoed). */
#ifdef FIXTURE_MISSING_SLOT
__attribute__((unused))
#endif
static int32_t AUTOARR_CALL
fx_complete(autoarr_instance* inst, const autoarr_call_context* call, const char* req, size_t len,
            const autoarr_byte_sink* out, autoarr_error* err) {
    char buf[256];
    struct counter secret = {0};
    autoarr_byte_sink sink;
    (void)req;
    (void)call;
    sink.struct_type = AUTOARR_STRUCT_BYTE_SINK;
    sink.struct_size = sizeof sink;
    sink.user = &secret;
    sink.write = count_bytes;
    if (g_host->get_secret(g_host_context, "api_key", 7, &sink) != AUTOARR_OK) secret.n = 0;
    snprintf(buf, sizeof buf,
             "{\"content\":\"echo %lu bytes, config %lu bytes, secret %lu bytes\",\"model\":\"fixture\","
             "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2},\"finish_reason\":\"stop\"}",
             (unsigned long)len, (unsigned long)inst->config_len, (unsigned long)secret.n);
    if (write_str(out, buf) != 0) return fail(err, AUTOARR_ERR_REQUEST_TOO_LARGE, "sink refused");
    return AUTOARR_OK;
}

static int32_t AUTOARR_CALL fx_stream(autoarr_instance* inst, const autoarr_call_context* call, const char* req,
                                      size_t len, const autoarr_stream_handler* h, autoarr_error* err) {
    static const char* const parts[] = {"one ", "two ", "three"};
    size_t i;
    (void)inst;
    (void)req;
    (void)len;
    for (i = 0; i < 3; ++i) {
        autoarr_stream_event ev;
        if (g_host->is_cancelled(call)) return fail(err, AUTOARR_ERR_CANCELLED, "cancelled");
        ev.struct_type = AUTOARR_STRUCT_STREAM_EVENT;
        ev.struct_size = sizeof ev;
        ev.kind = AUTOARR_EVENT_TEXT_DELTA;
        ev.reserved0 = 0;
        ev.data = parts[i];
        ev.len = strlen(parts[i]);
        if (h->on_event(h->user, &ev) != 0) return fail(err, AUTOARR_ERR_CANCELLED, "stopped by host");
    }
    {
        static const char done[] = "{\"model\":\"fixture\",\"finish_reason\":\"stop\"}";
        autoarr_stream_event ev;
        ev.struct_type = AUTOARR_STRUCT_STREAM_EVENT;
        ev.struct_size = sizeof ev;
        ev.kind = AUTOARR_EVENT_DONE;
        ev.reserved0 = 0;
        ev.data = done;
        ev.len = sizeof done - 1;
        h->on_event(h->user, &ev);
    }
    return AUTOARR_OK;
}

static autoarr_provider_table g_table = {
#ifdef FIXTURE_WRONG_TYPE
    AUTOARR_STRUCT_PLUGIN_INFO, /* deliberately the wrong struct type */
#else
    AUTOARR_STRUCT_PROVIDER_TABLE,
#endif
#ifdef FIXTURE_SMALL_SIZE
    16, /* below the 1.0 size */
#else
    sizeof(autoarr_provider_table),
#endif
    fx_startup,
    fx_shutdown,
    fx_create,
    fx_destroy,
    fx_caps,
    fx_health,
    NULL,
#ifdef FIXTURE_MISSING_SLOT
    NULL, /* complete is required (fx_complete stays unused) */
#else
    fx_complete,
#endif
    fx_stream,
    NULL};

static const autoarr_plugin_info g_info = {
    AUTOARR_STRUCT_PLUGIN_INFO, sizeof(autoarr_plugin_info), FIXTURE_ID, "Fixture (C)", "1.0.0", "test fixture", 50, 0};

#ifdef FIXTURE_HANG_AT_LOAD
/* A constructor that never returns: dlopen() itself hangs. */
__attribute__((constructor)) static void fx_hang_forever(void) {
    for (;;) sleep(1);
}
#endif

#ifndef FIXTURE_NO_ENTRY
AUTOARR_PLUGIN_EXPORT int32_t AUTOARR_CALL autoarr_provider_negotiate(const autoarr_negotiate_input* in,
                                                                      autoarr_negotiate_output* out) {
#if defined(FIXTURE_REFUSE)
    (void)in;
    (void)out;
    (void)g_info;
    (void)g_table;
    return AUTOARR_ERR_UNSUPPORTED;
#else
    int32_t rc =
        autoarr_fill_negotiate_output(in, out, AUTOARR_ABI_VERSION_1_0, AUTOARR_ABI_VERSION_1_0, &g_info, &g_table);
#if defined(FIXTURE_NULL_TABLE)
    out->table = NULL;
#endif
#if defined(FIXTURE_BAD_VERSION)
    out->abi_version = AUTOARR_MAKE_ABI_VERSION(9, 0);
#endif
    return rc;
#endif
}
#else
/* Exports something, just not the entry point. */
AUTOARR_PLUGIN_EXPORT int fixture_not_the_entry_point(void) {
    return g_info.struct_size + (int)g_table.struct_size;
}
#endif
