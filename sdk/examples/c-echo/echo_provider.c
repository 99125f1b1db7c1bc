/* A complete AutoArr provider plugin in C: it answers every chat request with
 * the last user message, reversed. Build it against an installed SDK:
 *
 *   cmake -S . -B build -DCMAKE_PREFIX_PATH=/usr && cmake --build build
 *
 * then copy build/plugins/c-echo/ into a plugin directory (docs/plugin-guide.md). */
#include <autoarr/provider.h>
#include <stdlib.h>
#include <string.h>

static const autoarr_host_services* host;

struct autoarr_instance {
    int unused;
};

static int32_t AUTOARR_CALL startup(const autoarr_startup_args* args, autoarr_error* err) {
    (void)err;
    host = args->host_services; /* valid until module_shutdown returns */
    return AUTOARR_OK;
}

static void AUTOARR_CALL shutdown_module(void) {
    host = NULL;
}

static int32_t AUTOARR_CALL create(const char* cfg, size_t len, autoarr_instance** out, autoarr_error* err) {
    (void)cfg;
    (void)len;
    *out = (autoarr_instance*)calloc(1, sizeof **out);
    if (!*out) {
        err->code = AUTOARR_ERR_INTERNAL;
        host->set_error_message(err, "out of memory", 13);
        return AUTOARR_ERR_INTERNAL;
    }
    return AUTOARR_OK;
}

static void AUTOARR_CALL destroy(autoarr_instance* inst) {
    free(inst);
}

static int32_t AUTOARR_CALL caps(autoarr_instance* inst, autoarr_capabilities* c) {
    (void)inst;
    c->flags = AUTOARR_CAP_THREAD_SAFE;
    return AUTOARR_OK;
}

static int32_t write_text(const autoarr_byte_sink* sink, const char* s) {
    return sink->write(sink->user, s, strlen(s));
}

static int32_t AUTOARR_CALL health(autoarr_instance* inst, const autoarr_call_context* call,
                                   const autoarr_byte_sink* detail, autoarr_error* err) {
    (void)inst;
    (void)call;
    (void)err;
    return write_text(detail, "{\"status\":\"healthy\",\"models\":[\"echo\"]}") == 0 ? AUTOARR_OK
                                                                                     : AUTOARR_ERR_INTERNAL;
}

/* Finds the last "content":"..." in the request and writes it reversed. A
 * real plugin would use a JSON parser; this one keeps to the C library. */
static int32_t AUTOARR_CALL complete(autoarr_instance* inst, const autoarr_call_context* call, const char* req,
                                     size_t len, const autoarr_byte_sink* out, autoarr_error* err) {
    const char* key = "\"content\":\"";
    const char* last = NULL;
    const char* p = req;
    char* text;
    size_t n = 0, i;
    (void)inst;
    (void)call;
    while ((p = strstr(p, key)) != NULL && (size_t)(p - req) < len) last = p = p + strlen(key);
    if (last)
        while (last + n < req + len && last[n] != '"') ++n;
    text = (char*)malloc(n + 1);
    if (!text) return AUTOARR_ERR_INTERNAL;
    for (i = 0; i < n; ++i) text[i] = last[n - 1 - i];
    text[n] = 0;
    if (write_text(out, "{\"content\":\"") || out->write(out->user, text, n) ||
        write_text(out, "\",\"model\":\"echo\",\"finish_reason\":\"stop\"}")) {
        free(text);
        err->code = AUTOARR_ERR_REQUEST_TOO_LARGE;
        return AUTOARR_ERR_REQUEST_TOO_LARGE;
    }
    free(text);
    return AUTOARR_OK;
}

static const autoarr_provider_table table = {AUTOARR_STRUCT_PROVIDER_TABLE,
                                             sizeof(autoarr_provider_table),
                                             startup,
                                             shutdown_module,
                                             create,
                                             destroy,
                                             caps,
                                             health,
                                             NULL,
                                             complete,
                                             NULL,
                                             NULL};

static const autoarr_plugin_info info = {AUTOARR_STRUCT_PLUGIN_INFO,
                                         sizeof(autoarr_plugin_info),
                                         "c-echo",
                                         "Echo (C example)",
                                         "1.0.0",
                                         "reverses the last message",
                                         500,
                                         0};

AUTOARR_PLUGIN_EXPORT int32_t AUTOARR_CALL autoarr_provider_negotiate(const autoarr_negotiate_input* in,
                                                                      autoarr_negotiate_output* out) {
    return autoarr_fill_negotiate_output(in, out, AUTOARR_ABI_VERSION_1_0, AUTOARR_ABI_VERSION_CURRENT, &info, &table);
}
