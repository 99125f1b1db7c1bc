// Glue between the SDK's call (deadline, cancellation, typed errors) and the
// HTTP client, shared by the first-party providers.
#pragma once

#include <autoarr/provider.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>
#include <string>

#include "http/client.h"
#include "http/text_limits.h"

namespace autoarr::http {

// The earlier of the call's deadline and now + limit_s.
inline Deadline deadline_for(const sdk::Call& call, double limit_s) {
    using Steady = std::chrono::steady_clock;
    auto limit = Steady::now() + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(limit_s));
    if (auto left = call.remaining_ns()) return std::min(limit, Steady::now() + std::chrono::nanoseconds(*left));
    return limit;
}

// Links the host's cancellation of a call to an in-flight HTTP request.
struct CancelLink {
    CallHandle handle;
    sdk::CancelRegistration reg;
    explicit CancelLink(const sdk::Call& call) : reg(call.on_cancel([this] { handle.cancel(); })) {}
};

// Runs `f`. The pure protocol code throws std::invalid_argument naming the
// bad setting or field; that becomes an SDK error with `code` (CONFIG_INVALID
// for settings, INVALID_ARGUMENT for a request), prefixed with `who`.
template <class F>
auto invalid_argument_as(int32_t code, const std::string& who, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const std::invalid_argument& e) {
        throw sdk::Error(code, who + ": " + e.what());
    }
}

// The base URL in setting `name`, or CONFIG_INVALID naming the setting.
inline BaseUrl base_url_or_config_error(const std::string& who, const char* name, const std::string& value) {
    std::string why;
    auto url = parse_base_url(value, why);
    if (!url) throw sdk::Error(AUTOARR_ERR_CONFIG_INVALID, who + ": setting \"" + name + "\": " + why);
    return std::move(*url);
}

// Setting "max_answer_bytes": the most bytes one answer may take from the
// upstream, streamed or not, so an endless stream ends long before the
// call's timeout would stop it.
inline constexpr std::size_t kDefaultMaxAnswerBytes = 16 * 1024 * 1024;
inline std::size_t max_answer_bytes_or_config_error(const std::string& who, std::string_view settings_json) {
    boost::json::error_code ec;
    const auto v = boost::json::parse(settings_json.empty() ? "{}" : settings_json, ec);
    const auto* cap = !ec && v.is_object() ? v.get_object().if_contains("max_answer_bytes") : nullptr;
    if (!cap) return kDefaultMaxAnswerBytes;
    if (!cap->is_int64() || cap->get_int64() < 1024)
        throw sdk::Error(AUTOARR_ERR_CONFIG_INVALID,
                         who + ": setting \"max_answer_bytes\" must be a whole number of bytes, at least 1024");
    return static_cast<std::size_t>(cap->get_int64());
}

// The typed error for an answer that passed max_answer_bytes.
inline sdk::Error answer_too_large(const std::string& who, std::size_t cap) {
    return sdk::Error(AUTOARR_ERR_INVALID_RESPONSE,
                      who + ": the answer passed max_answer_bytes (" + std::to_string(cap) + " bytes); stopped reading",
                      200, -1, AUTOARR_ERROR_FLAG_INCOMPLETE);
}

// A transport failure as a typed SDK error; `who` prefixes the message
// ("ollama"). The client's message already names the server.
inline sdk::Error transport_error(const HttpError& e, const std::string& who);

// One whole request within the call's deadline (and limit_s), cancellable by
// the host, with transport failures as typed errors. The status is the caller's.
inline std::pair<ResponseHead, std::string> fetch_for_call(Client& client, const Request& request,
                                                           const sdk::Call& call, double limit_s, std::size_t max_body,
                                                           const std::string& who) {
    CancelLink link(call);
    try {
        return client.fetch(request, deadline_for(call, limit_s), &link.handle, max_body);
    } catch (const HttpError& e) {
        throw transport_error(e, who);
    }
}

inline sdk::Error transport_error(const HttpError& e, const std::string& who) {
    switch (e.kind()) {
        case FailureKind::timeout:
            return sdk::Error(AUTOARR_ERR_DEADLINE_EXCEEDED, who + ": " + e.what());
        case FailureKind::cancelled:
            return sdk::Error(AUTOARR_ERR_CANCELLED, who + ": request cancelled");
        case FailureKind::tls:
            return sdk::Error(AUTOARR_ERR_UNAVAILABLE, who + ": " + e.what());  // a certificate will not fix itself
        case FailureKind::io:
            if (e.response_started())
                return sdk::Error(AUTOARR_ERR_INVALID_RESPONSE, who + ": incomplete response: " + e.what(), 0, -1,
                                  AUTOARR_ERROR_FLAG_INCOMPLETE | AUTOARR_ERROR_FLAG_RETRYABLE);
            [[fallthrough]];
        case FailureKind::connect:
            return sdk::Error(AUTOARR_ERR_UNAVAILABLE, who + ": " + e.what(), 0, -1, AUTOARR_ERROR_FLAG_RETRYABLE);
        case FailureKind::protocol:
            return sdk::Error(AUTOARR_ERR_INVALID_RESPONSE, who + ": " + e.what());
    }
    return sdk::Error(AUTOARR_ERR_INTERNAL, e.what());
}

}  // namespace autoarr::http
