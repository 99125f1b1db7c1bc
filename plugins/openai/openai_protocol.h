// OpenAI's chat-completions protocol, as llama.cpp's server, LM Studio,
// vLLM, LocalAI and OpenRouter speak it, mapped to and from AutoArr's
// payloads (docs/payloads.md). Pure functions, no I/O. The servers' quirks
// that matter here are in docs/providers.md ("OpenAI-compatible").
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autoarr::openai {

struct Settings {
    std::string provider_id = "openai";  // set by the host: the id this instance is routed by
    std::string base_url;                // empty: "not configured"
    std::string model;                   // empty: the one model the server lists (llama.cpp, LM Studio)
    double timeout_s = 600;
    double health_timeout_s = 5;
    std::string ca_file;
    int64_t max_idle_connections = 8;
    // How a JSON Schema "format" is sent: "json_schema" (response_format
    // json_schema, strict), "json_object" (plain JSON mode, the schema stays
    // in the prompt), or "off" (no response_format at all).
    std::string structured_output = "json_schema";
    // stream_options.include_usage on streams; off for servers that refuse it.
    bool stream_usage = true;
    bool tools = true;  // the server takes "tools" (AUTOARR_CAP_TOOLS)
    // "models": GET /v1/models; "key": GET /v1/key (OpenRouter, whose model
    // list is public, so only the key endpoint proves the key); "auto": "key"
    // for openrouter.ai, else "models".
    std::string health_check = "auto";
    int64_t context_window = 0;   // tokens per request; 0: what the server reports, if it does
    int64_t max_concurrency = 0;  // requests the server runs at once (llama.cpp --parallel); 0: no limit
};

Settings parse_settings(std::string_view json);  // throws std::invalid_argument naming the setting

// autoarr.chat_request/1 -> a /v1/chat/completions body, and the model it
// names. Roles are system, user, assistant (with optional tool_calls) and
// tool; anything the protocol cannot carry is refused, never dropped.
// Throws std::invalid_argument naming the field.
struct ChatBody {
    std::string body;
    std::string model;
};
ChatBody chat_body(std::string_view request_json, const Settings& settings, const std::string& default_model,
                   bool stream);

struct Usage {
    std::optional<int64_t> prompt_tokens;
    std::optional<int64_t> completion_tokens;
    std::optional<int64_t> cached_prompt_tokens;  // usage.prompt_tokens_details.cached_tokens
    std::optional<double> cost;                   // OpenRouter's usage.cost, in USD credits
};

struct ToolCall {
    int64_t index = 0;
    std::string id;
    std::string name;
    std::string arguments;  // the JSON text as the server sent it
};

struct Completion {
    std::string id;  // "chatcmpl-...", OpenRouter's "gen-..."
    std::string model;
    std::string content;
    std::string finish_reason;  // raw
    std::vector<ToolCall> tool_calls;
    Usage usage;
};

// Parses a non-streamed answer; nullopt when it is not a chat.completion.
std::optional<Completion> parse_completion(std::string_view body);
// stop | length | tool_calls | content_filter | error
std::string normalise_finish_reason(std::string_view raw);
// autoarr.chat_response/1 (with "tool_calls", "request_id" and "cost" when
// present). Throws std::invalid_argument when a tool call's arguments are
// not a JSON object.
boost::json::object response_object(const Completion& c, const std::string& fallback_model, int64_t context_window);
boost::json::object tool_call_object(const ToolCall& t);
std::string usage_json(const Usage& u, int64_t context_window);

// Error bodies: {"error": {"message","type","code",...}} (OpenAI, llama.cpp,
// OpenRouter, LM Studio) or vLLM's top-level {"object":"error","message",
// "type","code"}.
struct ApiError {
    std::string message;  // or a short description of a body that is not JSON
    std::string type;     // e.g. "exceed_context_size_error", "BadRequestError"
    std::string code;     // the error's "code", as text ("429", "context_length_exceeded")
};
ApiError parse_error(std::string_view body);
// A 400 that says the prompt does not fit the model's window (llama.cpp's
// exceed_context_size_error, OpenAI's context_length_exceeded, vLLM's
// "maximum context length").
bool is_context_overflow(const ApiError& e);

// Assembles a streamed answer from its SSE data payloads.
struct StreamAssembler {
    Completion completion;
    std::map<int64_t, ToolCall> tool_calls;  // by index, arguments appended fragment by fragment
    bool done = false;                       // "data: [DONE]" arrived
    std::optional<ApiError> error;           // an error chunk inside a 200 stream (OpenRouter)
    std::optional<std::string> malformed;    // a data payload that is not JSON

    // Returns the text to emit (possibly empty).
    std::string apply(std::string_view data);
};

}  // namespace autoarr::openai
