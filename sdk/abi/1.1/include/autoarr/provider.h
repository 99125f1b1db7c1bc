/*
 * autoarr/provider.h -- the AutoArr provider plugin ABI, version 1.1.
 *
 * 1.1 appended, and changed nothing of 1.0 (docs/abi-policy.md, "ABI 1.1"):
 *   AUTOARR_CAP_TOOLS, AUTOARR_EVENT_TOOL_CALL, and the host service
 *   set_error_request_id. Tool definitions, tool calls, the finish reasons
 *   "tool_calls" and "content_filter", cost and request ids travel in the
 *   JSON payloads (docs/payloads.md), which readers extend by ignoring what
 *   they do not know.
 *
 * A provider plugin is a shared object (.so/.dll) that exports exactly one
 * symbol, autoarr_provider_negotiate(). Everything else the host and the
 * plugin exchange travels through the versioned structs and function tables
 * declared here. This header is pure C99 and includes only <stdint.h> and
 * <stddef.h>, so it can be used from C, C++, Rust (bindgen) and Go (cgo).
 *
 * The rules this header obeys, and that hosts and plugins must obey, are
 * numbered in docs/abi-policy.md ("ABI-n"). Host log messages cite them.
 *
 * Conventions used in the documentation of every function below:
 *   Owner    who owns each pointer argument, and for how long it stays valid.
 *   Thread   which threads may make the call, and what may run concurrently.
 *   Returns  AUTOARR_OK (0) or one of the negative AUTOARR_ERR_* codes.
 *
 * Versioning (ABI-1..ABI-6): an ABI version is (major << 16) | minor. A minor
 * release only APPENDS: fields at the end of structs, slots at the end of
 * tables, new codes, new flag bits -- each with "zero means the 1.0
 * behaviour". Every struct starts with struct_type and struct_size. A reader
 * accepts any struct_size >= the 1.0 size and reads a later field only after
 * checking that it lies inside struct_size (AUTOARR_HAS_FIELD). Nothing is
 * ever removed, reordered, resized or given a new meaning: changed behaviour
 * gets a new slot.
 *
 * THE STRUCTS AND TABLES IN THIS FILE ARE APPEND ONLY.
 */
#ifndef AUTOARR_PROVIDER_H
#define AUTOARR_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Calling convention and export                                            */
/* ------------------------------------------------------------------------ */

/* AUTOARR_CALL is the one calling convention of every function pointer and
 * of the entry point (ABI-8). */
#if defined(_WIN32) && defined(_M_IX86)
#define AUTOARR_CALL __cdecl
#else
#define AUTOARR_CALL
#endif

/* AUTOARR_PLUGIN_EXPORT marks the single exported entry point (ABI-9). */
#if defined(_WIN32)
#define AUTOARR_PLUGIN_EXPORT __declspec(dllexport)
#else
#define AUTOARR_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                 */
/* ------------------------------------------------------------------------ */

#define AUTOARR_MAKE_ABI_VERSION(major, minor) ((uint32_t)(((uint32_t)(major) << 16) | ((uint32_t)(minor)&0xFFFFu)))
#define AUTOARR_ABI_VERSION_MAJOR(v) ((uint32_t)(v) >> 16)
#define AUTOARR_ABI_VERSION_MINOR(v) ((uint32_t)(v)&0xFFFFu)

#define AUTOARR_ABI_VERSION_1_0 AUTOARR_MAKE_ABI_VERSION(1, 0)
#define AUTOARR_ABI_VERSION_1_1 AUTOARR_MAKE_ABI_VERSION(1, 1) /* ABI 1.1 and later */
/* The newest version this header describes. */
#define AUTOARR_ABI_VERSION_CURRENT AUTOARR_ABI_VERSION_1_1

/* The name of the one exported symbol (ABI-9). */
#define AUTOARR_NEGOTIATE_SYMBOL "autoarr_provider_negotiate"

/* ------------------------------------------------------------------------ */
/* Result codes (ABI-12). Fixed values, never renumbered. A host maps a code */
/* it does not know to AUTOARR_ERR_INTERNAL.                                */
/* ------------------------------------------------------------------------ */

#define AUTOARR_OK 0
#define AUTOARR_ERR_INTERNAL (-1)           /* bug or unexpected state */
#define AUTOARR_ERR_INVALID_ARGUMENT (-2)   /* the request is wrong; do not retry */
#define AUTOARR_ERR_UNAVAILABLE (-3)        /* backend unreachable (refused, reset) */
#define AUTOARR_ERR_RATE_LIMITED (-4)       /* backend busy; see retry_after_ms */
#define AUTOARR_ERR_AUTH_FAILED (-5)        /* credentials missing or rejected */
#define AUTOARR_ERR_DEADLINE_EXCEEDED (-6)  /* the call's deadline passed */
#define AUTOARR_ERR_CANCELLED (-7)          /* the host cancelled the call */
#define AUTOARR_ERR_BACKEND_ERROR (-8)      /* backend failed (5xx) */
#define AUTOARR_ERR_INVALID_RESPONSE (-9)   /* backend answer malformed or incomplete */
#define AUTOARR_ERR_CONFIG_INVALID (-10)    /* the instance configuration is wrong */
#define AUTOARR_ERR_NOT_FOUND (-11)         /* model or resource does not exist */
#define AUTOARR_ERR_UNSUPPORTED (-12)       /* the call or option is not supported */
#define AUTOARR_ERR_REQUEST_TOO_LARGE (-13) /* the request exceeds a backend limit */
#define AUTOARR_ERR_PERMISSION_DENIED (-14) /* authenticated but not allowed */

/* ------------------------------------------------------------------------ */
/* Struct types (ABI-3). Every struct begins with these two fields:          */
/*     uint32_t struct_type;  one of AUTOARR_STRUCT_*                       */
/*     uint32_t struct_size;  sizeof the struct as the WRITER compiled it   */
/* ------------------------------------------------------------------------ */

#define AUTOARR_STRUCT_NEGOTIATE_INPUT 1u
#define AUTOARR_STRUCT_NEGOTIATE_OUTPUT 2u
#define AUTOARR_STRUCT_PLUGIN_INFO 3u
#define AUTOARR_STRUCT_PROVIDER_TABLE 4u
#define AUTOARR_STRUCT_HOST_SERVICES 5u
#define AUTOARR_STRUCT_STARTUP_ARGS 6u
#define AUTOARR_STRUCT_CALL_CONTEXT 7u
#define AUTOARR_STRUCT_ERROR 8u
#define AUTOARR_STRUCT_BYTE_SINK 9u
#define AUTOARR_STRUCT_STREAM_HANDLER 10u
#define AUTOARR_STRUCT_STREAM_EVENT 11u
#define AUTOARR_STRUCT_CAPABILITIES 12u

/* True when the struct pointed to by p (any AutoArr struct) was written with
 * a size that includes `field` (ABI-4). Use before reading a field that was
 * appended after 1.0. */
#define AUTOARR_HAS_FIELD(p, type, field) ((p)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* ------------------------------------------------------------------------ */
/* Log levels and flags                                                     */
/* ------------------------------------------------------------------------ */

#define AUTOARR_LOG_TRACE 0
#define AUTOARR_LOG_DEBUG 1
#define AUTOARR_LOG_INFO 2
#define AUTOARR_LOG_WARN 3
#define AUTOARR_LOG_ERROR 4

/* autoarr_error.flags */
#define AUTOARR_ERROR_FLAG_RETRYABLE 0x1u      /* the same call may succeed later */
#define AUTOARR_ERROR_FLAG_AUTH_FAILED 0x2u    /* mark the instance unhealthy */
#define AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT 0x4u /* events were delivered before the error */
#define AUTOARR_ERROR_FLAG_INCOMPLETE 0x8u     /* the backend stream ended early */

/* autoarr_capabilities.flags */
#define AUTOARR_CAP_STREAMING 0x1u    /* the stream slot is implemented */
#define AUTOARR_CAP_JSON_MODE 0x2u    /* honours "format":"json" */
#define AUTOARR_CAP_JSON_SCHEMA 0x4u  /* honours "format": {JSON schema} */
#define AUTOARR_CAP_THREAD_SAFE 0x8u  /* instance calls may run concurrently */
#define AUTOARR_CAP_LIST_MODELS 0x10u /* the list_models slot is implemented */
/* ABI 1.1 and later: honours "tools" and "tool_choice" in chat requests and
 * answers with "tool_calls" (docs/payloads.md). The host sends neither field
 * to an instance without it. */
#define AUTOARR_CAP_TOOLS 0x20u

/* autoarr_stream_event.kind */
#define AUTOARR_EVENT_TEXT_DELTA 1u /* data = UTF-8 text fragment (never split inside a code point) */
#define AUTOARR_EVENT_USAGE 2u      /* data = JSON {"prompt_tokens":n,"completion_tokens":n} */
#define AUTOARR_EVENT_DONE 3u       /* data = JSON chat response without "content" */
/* ABI 1.1 and later: data = JSON {"index":n,"id":"...","name":"...","arguments":{...}},
 * one whole tool call (the plugin assembles the backend's fragments). Sent
 * only when 1.1 or later was negotiated. */
#define AUTOARR_EVENT_TOOL_CALL 4u

/* ------------------------------------------------------------------------ */
/* Forward declarations                                                     */
/* ------------------------------------------------------------------------ */

typedef struct autoarr_instance autoarr_instance; /* opaque, owned by the plugin */
typedef struct autoarr_error autoarr_error;
typedef struct autoarr_call_context autoarr_call_context;
typedef struct autoarr_byte_sink autoarr_byte_sink;
typedef struct autoarr_stream_event autoarr_stream_event;
typedef struct autoarr_stream_handler autoarr_stream_handler;
typedef struct autoarr_capabilities autoarr_capabilities;
typedef struct autoarr_host_services autoarr_host_services;
typedef struct autoarr_startup_args autoarr_startup_args;
typedef struct autoarr_plugin_info autoarr_plugin_info;
typedef struct autoarr_provider_table autoarr_provider_table;
typedef struct autoarr_negotiate_input autoarr_negotiate_input;
typedef struct autoarr_negotiate_output autoarr_negotiate_output;

/* ------------------------------------------------------------------------ */
/* Errors (ABI-13)                                                          */
/* ------------------------------------------------------------------------ */

/* The typed error of one call. Owner: the host allocates it for the duration
 * of one call and passes it to the plugin; the plugin fills code, http_status,
 * retry_after_ms and flags, and sets the message ONLY through
 * autoarr_host_services.set_error_message (the host copies the text). There
 * is no thread-local "last error". */
struct autoarr_error {
    uint32_t struct_type; /* AUTOARR_STRUCT_ERROR */
    uint32_t struct_size;
    int32_t code;           /* AUTOARR_OK or AUTOARR_ERR_*; the call's return value */
    int32_t http_status;    /* backend HTTP status when known, else 0 */
    int64_t retry_after_ms; /* backend's requested delay, or -1 when none */
    uint64_t flags;         /* AUTOARR_ERROR_FLAG_* */
    void* host_reserved;    /* the host's; plugins must not touch it */
};

/* ------------------------------------------------------------------------ */
/* Per-call context: deadline and cancellation (ABI-14)                      */
/* ------------------------------------------------------------------------ */

/* Owner: the host, valid until the call it was passed to returns.
 * deadline_ns is on the host's monotonic clock (host_services.monotonic_ns);
 * 0 means no deadline. Cancellation is observed with host_services
 * is_cancelled / add_cancel_callback. */
struct autoarr_call_context {
    uint32_t struct_type; /* AUTOARR_STRUCT_CALL_CONTEXT */
    uint32_t struct_size;
    int64_t deadline_ns;
    void* host_reserved;
};

/* ------------------------------------------------------------------------ */
/* Output channels: byte sinks and stream handlers (ABI-15)                  */
/* ------------------------------------------------------------------------ */

/* A host-provided writer. The plugin calls write() any number of times; the
 * host copies the bytes before returning. write() returns 0 to continue, or
 * nonzero when the host refuses more (size limit): the plugin then stops and
 * returns AUTOARR_ERR_REQUEST_TOO_LARGE or the error it is handling.
 * Owner: host; valid until the call it was passed to returns. */
struct autoarr_byte_sink {
    uint32_t struct_type; /* AUTOARR_STRUCT_BYTE_SINK */
    uint32_t struct_size;
    void* user;
    int32_t(AUTOARR_CALL* write)(void* user, const char* data, size_t len);
};

/* One streamed event. Owner: the plugin; valid only during on_event(). */
struct autoarr_stream_event {
    uint32_t struct_type; /* AUTOARR_STRUCT_STREAM_EVENT */
    uint32_t struct_size;
    uint32_t kind;      /* AUTOARR_EVENT_* */
    uint32_t reserved0; /* zero */
    const char* data;   /* see AUTOARR_EVENT_*; not NUL-terminated */
    uint64_t len;
};

/* Events are delivered on the thread that called stream(), and only before
 * stream() returns. on_event returns 0 to continue, nonzero to stop: the
 * plugin then ends the backend request and returns AUTOARR_ERR_CANCELLED. */
struct autoarr_stream_handler {
    uint32_t struct_type; /* AUTOARR_STRUCT_STREAM_HANDLER */
    uint32_t struct_size;
    void* user;
    int32_t(AUTOARR_CALL* on_event)(void* user, const autoarr_stream_event* event);
};

/* ------------------------------------------------------------------------ */
/* Capabilities                                                             */
/* ------------------------------------------------------------------------ */

/* Filled by the plugin into host memory; the host pre-sets struct_type and
 * struct_size and the plugin writes only fields inside struct_size. */
struct autoarr_capabilities {
    uint32_t struct_type; /* AUTOARR_STRUCT_CAPABILITIES */
    uint32_t struct_size;
    uint64_t flags;           /* AUTOARR_CAP_* */
    uint32_t max_concurrency; /* 0 = no limit of its own */
    uint32_t reserved0;       /* zero */
};

/* ------------------------------------------------------------------------ */
/* Host services (ABI-16)                                                    */
/* ------------------------------------------------------------------------ */

/* The host's function table. Owner: the host; valid from module_startup to
 * the end of module_shutdown. Every function is thread-safe and never throws
 * or longjmps. host_context is the value given in autoarr_startup_args. */
struct autoarr_host_services {
    uint32_t struct_type; /* AUTOARR_STRUCT_HOST_SERVICES */
    uint32_t struct_size;

    /* Write one log line attributed to this plugin. msg is UTF-8, need not be
     * NUL-terminated and is copied. Never pass secrets. */
    void(AUTOARR_CALL* log)(void* host_context, int32_t level, const char* msg, size_t len);
    /* Nonzero when a line of that level would be written. */
    int32_t(AUTOARR_CALL* log_enabled)(void* host_context, int32_t level);

    /* Set the human-readable message of err (the host copies it). May be
     * called more than once; the last call wins. */
    void(AUTOARR_CALL* set_error_message)(autoarr_error* err, const char* msg, size_t len);

    /* Nonzero once the call that call_context belongs to has been cancelled. */
    int32_t(AUTOARR_CALL* is_cancelled)(const autoarr_call_context* call);
    /* Register fn(user) to run once when the call is cancelled, possibly on
     * another thread -- use it to close a socket promptly. Runs immediately
     * when the call is already cancelled. Returns a nonzero registration id,
     * or 0 on failure. Every registration must be removed with
     * remove_cancel_callback before the call returns; after removal returns,
     * fn is not running and will not run. */
    uint64_t(AUTOARR_CALL* add_cancel_callback)(const autoarr_call_context* call, void(AUTOARR_CALL* fn)(void* user),
                                                void* user);
    void(AUTOARR_CALL* remove_cancel_callback)(const autoarr_call_context* call, uint64_t id);

    /* The host's monotonic clock in nanoseconds (deadlines are on it). */
    int64_t(AUTOARR_CALL* monotonic_ns)(void);

    /* Look up a secret (an API key) by name in this plugin's secret scope.
     * The value is written to out. Returns AUTOARR_OK, AUTOARR_ERR_NOT_FOUND
     * when no such secret is configured. Secrets never travel in config text. */
    int32_t(AUTOARR_CALL* get_secret)(void* host_context, const char* name, size_t name_len,
                                      const autoarr_byte_sink* out);

    /* Add value to the counter (kind 0) or set the gauge (kind 1) named
     * name (Prometheus syntax, prefixed by the host with the plugin id). */
    void(AUTOARR_CALL* metric)(void* host_context, const char* name, size_t name_len, int32_t kind, double value);

    /* ABI 1.1 and later. Read it only when AUTOARR_HAS_FIELD(services,
     * autoarr_host_services, set_error_request_id): a 1.0 host's table ends
     * before it. Records the backend's id for the failed request (a response
     * header such as "x-request-id", or the answer's "id") on err, so the
     * operator can quote it to the provider. The host copies the text; the
     * last call wins. */
    void(AUTOARR_CALL* set_error_request_id)(autoarr_error* err, const char* id, size_t len);
};

/* Arguments of module_startup. Owner: host; valid during the call only --
 * copy the pointers you need (host_services itself stays valid, see above). */
struct autoarr_startup_args {
    uint32_t struct_type; /* AUTOARR_STRUCT_STARTUP_ARGS */
    uint32_t struct_size;
    uint32_t abi_version; /* the version chosen by negotiation */
    uint32_t reserved0;   /* zero */
    const autoarr_host_services* host_services;
    void* host_context;
    const char* host_version; /* NUL-terminated, e.g. "0.1.0" */
};

/* ------------------------------------------------------------------------ */
/* Static plugin description                                                */
/* ------------------------------------------------------------------------ */

/* Owner: the plugin; static storage, valid while the library is loaded. */
struct autoarr_plugin_info {
    uint32_t struct_type; /* AUTOARR_STRUCT_PLUGIN_INFO */
    uint32_t struct_size;
    const char* id;           /* NUL-terminated; [a-z0-9][a-z0-9._-]*; equals the manifest id */
    const char* name;         /* human-readable */
    const char* version;      /* the plugin's own version, e.g. "1.2.0" */
    const char* description;  /* one line, may be NULL */
    int32_t default_priority; /* lower is tried first; the manifest's priority wins */
    uint32_t reserved0;       /* zero */
};

/* ------------------------------------------------------------------------ */
/* The provider function table, ABI 1.0 (ABI-10, ABI-11). APPEND ONLY.       */
/* ------------------------------------------------------------------------ */
/*
 * Owner: the plugin; static const storage. Slots marked REQUIRED must be
 * non-NULL or the host rejects the plugin. Every function must return (not
 * throw, not longjmp) and must honour the call context's deadline and
 * cancellation.
 *
 * Payloads are JSON with their own schema names (docs/payloads.md):
 *   chat request   "autoarr.chat_request/1"
 *   chat response  "autoarr.chat_response/1"
 *   health detail  "autoarr.health/1"
 *   model list     "autoarr.models/1"
 * so payload evolution never changes this binary interface.
 */
struct autoarr_provider_table {
    uint32_t struct_type; /* AUTOARR_STRUCT_PROVIDER_TABLE */
    uint32_t struct_size;

    /* REQUIRED. Called once after negotiation, before any other slot, alone.
     * May start threads. On failure fill err and return its code: the host
     * then never calls another slot (and never unloads the library). */
    int32_t(AUTOARR_CALL* module_startup)(const autoarr_startup_args* args, autoarr_error* err);

    /* REQUIRED. Called once, alone, after every instance was destroyed.
     * Must join every thread the plugin started. */
    void(AUTOARR_CALL* module_shutdown)(void);

    /* REQUIRED. Create an instance from a JSON object of settings (borrowed,
     * UTF-8, not NUL-terminated). Creation does no network I/O. On success
     * *out receives the instance, owned by the plugin until instance_destroy.
     * Bad settings: AUTOARR_ERR_CONFIG_INVALID with a message naming the key.
     * Thread: serialised with other create/destroy calls of this plugin. */
    int32_t(AUTOARR_CALL* instance_create)(const char* config_json, size_t config_len, autoarr_instance** out,
                                           autoarr_error* err);

    /* REQUIRED. Destroy an instance; no call on it is running. */
    void(AUTOARR_CALL* instance_destroy)(autoarr_instance* instance);

    /* REQUIRED. Fill caps (host memory, see autoarr_capabilities). */
    int32_t(AUTOARR_CALL* get_capabilities)(autoarr_instance* instance, autoarr_capabilities* caps);

    /* REQUIRED. A cheap, never billable check that the backend is reachable
     * and usable. Writes an "autoarr.health/1" JSON object to detail:
     * {"status":"healthy"|"degraded", "reason":"...", "models":[...]}.
     * Returns AUTOARR_OK for healthy or degraded, an error otherwise. */
    int32_t(AUTOARR_CALL* health_check)(autoarr_instance* instance, const autoarr_call_context* call,
                                        const autoarr_byte_sink* detail, autoarr_error* err);

    /* OPTIONAL (AUTOARR_CAP_LIST_MODELS). Writes "autoarr.models/1" JSON:
     * {"models":[{"id":"..."}...]}. */
    int32_t(AUTOARR_CALL* list_models)(autoarr_instance* instance, const autoarr_call_context* call,
                                       const autoarr_byte_sink* out, autoarr_error* err);

    /* REQUIRED. One non-streaming chat completion. request is an
     * "autoarr.chat_request/1" JSON object (borrowed); the
     * "autoarr.chat_response/1" JSON object is written to out. */
    int32_t(AUTOARR_CALL* complete)(autoarr_instance* instance, const autoarr_call_context* call,
                                    const char* request_json, size_t request_len, const autoarr_byte_sink* out,
                                    autoarr_error* err);

    /* OPTIONAL (AUTOARR_CAP_STREAMING). The same request, delivered as
     * events on the calling thread before return: TEXT_DELTA*, USAGE?, DONE.
     * An error after the first event sets AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT. */
    int32_t(AUTOARR_CALL* stream)(autoarr_instance* instance, const autoarr_call_context* call,
                                  const char* request_json, size_t request_len, const autoarr_stream_handler* handler,
                                  autoarr_error* err);

    /* OPTIONAL. Returns a static table for a named extension, or NULL. */
    const void*(AUTOARR_CALL* query_extension)(const char* name, size_t name_len);
};

/* ------------------------------------------------------------------------ */
/* Negotiation (ABI-5, ABI-7)                                                */
/* ------------------------------------------------------------------------ */

/* Owner: host, valid during the call. */
struct autoarr_negotiate_input {
    uint32_t struct_type; /* AUTOARR_STRUCT_NEGOTIATE_INPUT */
    uint32_t struct_size;
    uint32_t min_abi_version; /* oldest ABI the host accepts */
    uint32_t max_abi_version; /* newest ABI the host accepts */
    const char* host_version; /* NUL-terminated */
    const void* next;         /* extension chain; NULL in 1.0 */
};

/* Host memory, pre-sized by the host (struct_type, struct_size set). The
 * plugin writes only fields inside struct_size. */
struct autoarr_negotiate_output {
    uint32_t struct_type; /* AUTOARR_STRUCT_NEGOTIATE_OUTPUT */
    uint32_t struct_size;
    uint32_t abi_version;                /* chosen: within the host's range and the plugin's */
    uint32_t reserved0;                  /* zero */
    const autoarr_plugin_info* info;     /* static */
    const autoarr_provider_table* table; /* static const */
    void* next;                          /* extension chain; NULL in 1.0 */
};

/* The one exported symbol, named AUTOARR_NEGOTIATE_SYMBOL.
 * Thread: called once, alone, right after loading. Must have no side
 * effects: no threads, no I/O, no allocation that outlives the call.
 * Returns AUTOARR_OK after filling out, or AUTOARR_ERR_UNSUPPORTED when no
 * version is acceptable to both sides. */
typedef int32_t(AUTOARR_CALL* autoarr_negotiate_fn)(const autoarr_negotiate_input* in, autoarr_negotiate_output* out);

/* The entry point's prototype. A plugin defines it (once, with
 * AUTOARR_PLUGIN_EXPORT); a host never links to it, it looks it up by name.
 * Declaring it here also makes every ABI struct reachable from a function,
 * which is what abi-compliance-checker compares (tests/abi). */
AUTOARR_PLUGIN_EXPORT int32_t AUTOARR_CALL autoarr_provider_negotiate(const autoarr_negotiate_input* in,
                                                                      autoarr_negotiate_output* out);

/* Version choice, shipped in the header so every plugin gets it right:
 * the newest version that both the host's range and the plugin's range
 * [plugin_min, plugin_max] contain, or 0 when they do not overlap or the
 * input struct is not one. */
static inline uint32_t autoarr_choose_abi_version(const autoarr_negotiate_input* in, uint32_t plugin_min,
                                                  uint32_t plugin_max) {
    uint32_t lo, hi;
    if (in == NULL || in->struct_type != AUTOARR_STRUCT_NEGOTIATE_INPUT ||
        in->struct_size < (uint32_t)(offsetof(autoarr_negotiate_input, next) + sizeof(void*)))
        return 0;
    lo = in->min_abi_version > plugin_min ? in->min_abi_version : plugin_min;
    hi = in->max_abi_version < plugin_max ? in->max_abi_version : plugin_max;
    return lo > hi ? 0u : hi;
}

/* Fill out after a successful choice; the size checks mean a plugin built
 * against a newer header never writes past an older host's struct. Returns
 * AUTOARR_OK or AUTOARR_ERR_UNSUPPORTED. */
static inline int32_t autoarr_fill_negotiate_output(const autoarr_negotiate_input* in, autoarr_negotiate_output* out,
                                                    uint32_t plugin_min, uint32_t plugin_max,
                                                    const autoarr_plugin_info* info,
                                                    const autoarr_provider_table* table) {
    uint32_t chosen = autoarr_choose_abi_version(in, plugin_min, plugin_max);
    if (chosen == 0 || out == NULL || out->struct_type != AUTOARR_STRUCT_NEGOTIATE_OUTPUT ||
        !AUTOARR_HAS_FIELD(out, autoarr_negotiate_output, table))
        return AUTOARR_ERR_UNSUPPORTED;
    out->abi_version = chosen;
    out->info = info;
    out->table = table;
    return AUTOARR_OK;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AUTOARR_PROVIDER_H */
