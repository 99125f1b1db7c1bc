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
#include <vector>

#include "http/retry_after.h"
#include "http/sse_decoder.h"

namespace autoarr::claude {

struct Settings {
    std::string provider_id = "claude";  // host-set: the id this instance's secrets go by
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
    std::string id;                               // "msg_...": the answer's request id
    std::vector<boost::json::object> tool_calls;  // ABI 1.1: tool_use blocks, as the host receives them
};

std::optional<Message> parse_message(std::string_view body);
std::string normalise_stop_reason(std::string_view raw);  // stop | length | tool_calls | content_filter
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

// retry-after-ms, else retry-after: the neutral reading (lib/http/retry_after.h).
using http::retry_after_ms;

// The SSE decoder is the neutral one (lib/http/sse_decoder.h).
using SseDecoder = http::SseDecoder;

// Applies one streamed event to the message being assembled. Returns the
// text to emit (possibly empty). Sets error/complete as the events say.
struct StreamAssembler {
    Message message;
    std::map<int64_t, std::string> block_types;
    // A tool_use block being streamed: its id and name, and input_json_delta fragments.
    struct ToolBlock {
        std::string id, name, input;
    };
    std::map<int64_t, ToolBlock> tool_blocks;
    bool started = false;
    bool complete = false;
    std::optional<ApiError> error;
    std::optional<std::string> malformed;  // a data line that is not JSON

    std::string apply(std::string_view event, std::string_view data);
};

}  // namespace autoarr::claude
