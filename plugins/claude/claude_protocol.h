// Anthropic's Messages API, mapped to and from AutoArr's payloads, and the
// SSE decoder for its streams. Pure functions, no I/O.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace autoarr::claude {

struct Settings {
    std::string base_url = "https://api.anthropic.com";
    std::string model = "claude-sonnet-4-5";
    int64_t max_tokens = 4096;
    double timeout_s = 600;
    double health_timeout_s = 5;
    std::string ca_file;
    std::string anthropic_version = "2023-06-01";
    int64_t max_idle_connections = 8;  // 0 disables keep-alive (e.g. behind a proxy that dislikes it)
    // Structured outputs (output_config.format) for a JSON Schema "format":
    // "auto" uses them for the models that have them, "on" always, "off" never
    // (the schema then goes into the system prompt).
    std::string structured_output = "auto";
};

// The models that accept output_config.format (Claude Opus 4.1, and every
// Opus, Sonnet and Haiku from 4.5 on), by their id.
bool supports_structured_output(std::string_view model);

// The window the host sizes its prompts for (every current Claude model reads
// at least this many tokens).
constexpr int64_t kContextWindow = 200000;

// Whether a 400 answer says the request's output_config was refused (a model
// or a gateway without structured outputs): the call is then made once more
// with the schema in the prompt.
bool structured_output_refused(int status, std::string_view body);

Settings parse_settings(std::string_view json);  // throws std::invalid_argument naming the setting

// autoarr.chat_request/1 -> a /v1/messages body. System messages are joined
// into "system"; roles other than user/assistant are rejected (never
// dropped); max_tokens is always set. Also gives the model asked for (the
// request's "model", else the configured one); the request is parsed once.
// Throws std::invalid_argument.
struct MessagesBody {
    std::string body;
    std::string model;
};
// structured(model): whether to send a JSON Schema "format" as
// output_config.format for that model (null: never). A system message with
// "cache": true marks the stable prefix: the system block gets cache_control.
using StructuredFor = std::function<bool(const std::string& model)>;
MessagesBody messages_body(std::string_view request_json, const Settings& settings, bool stream,
                           const StructuredFor& structured = nullptr);

struct Usage {
    std::optional<int64_t> input_tokens;
    std::optional<int64_t> output_tokens;
};

struct Message {
    std::string text;  // the text blocks, concatenated
    std::string model;
    std::string stop_reason;  // raw
    std::optional<std::string> stop_sequence;
    Usage usage;
};

std::optional<Message> parse_message(std::string_view body);
std::string normalise_stop_reason(std::string_view raw);  // stop | length | error
// autoarr.chat_response/1, as an object and as text.
boost::json::object response_object(const Message& m, const std::string& fallback_model);
std::string chat_response(const Message& m, const std::string& fallback_model);
std::string usage_json(const Usage& u);

// The error body {"type":"error","error":{"type","message"},"request_id"}.
struct ApiError {
    std::string type;     // e.g. "rate_limit_error"; "" when the body is not Anthropic JSON
    std::string message;  // the error message, or a short description of a non-JSON body
    std::string request_id;
};
ApiError parse_error(std::string_view body);

// retry-after-ms, else retry-after (seconds or HTTP-date), honoured only when
// 0 < value <= 60 s, as the Python SDK does. now_epoch is the current Unix time.
std::optional<int64_t> retry_after_ms(const std::string* retry_after_ms_header, const std::string* retry_after_header,
                                      int64_t now_epoch);

// Server-sent events: splits on blank lines (LF, CRLF or CR line ends),
// joins multiple data lines with LF, ignores comments and id/retry fields.
class SseDecoder {
public:
    using EventFn = std::function<bool(std::string_view event, std::string_view data)>;
    // Returns false when on_event returned false.
    bool feed(std::string_view bytes, const EventFn& on_event);
    // At end of stream: true when nothing was left half-received.
    bool clean_end() const { return line_.empty() && data_.empty() && event_.empty(); }

private:
    bool line_done(const EventFn& on_event);
    std::string line_;
    std::string event_;
    std::string data_;
    bool has_data_ = false;
    bool pending_cr_ = false;
};

// Applies one streamed event to the message being assembled. Returns the
// text to emit (possibly empty). Sets error/complete as the events say.
struct StreamAssembler {
    Message message;
    std::map<int64_t, std::string> block_types;
    bool started = false;
    bool complete = false;
    std::optional<ApiError> error;
    std::optional<std::string> malformed;  // a data line that is not JSON

    std::string apply(std::string_view event, std::string_view data);
};

}  // namespace autoarr::claude
