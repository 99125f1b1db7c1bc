// Ollama's native API, mapped to and from AutoArr's payloads. Pure
// functions: no I/O, so every fixture can be checked byte for byte.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autoarr::ollama {

struct Settings {
    std::string url = "http://127.0.0.1:11434";
    std::string model = "qwen2.5:7b";
    double timeout_s = 120;
    bool auto_download = false;
    std::optional<boost::json::value> keep_alive;  // number (seconds) or duration string
    double pull_timeout_s = 3600;
    double health_timeout_s = 3;
    double models_ttl_s = 10;
};

// Throws std::invalid_argument naming the setting when a value is wrong.
Settings parse_settings(std::string_view json);

// autoarr.chat_request/1 -> an /api/chat body, and the model it asks for
// (the request's "model", else the configured one). The request is parsed
// once. Throws std::invalid_argument naming the field for anything Ollama
// cannot honour.
struct ChatBody {
    std::string body;
    std::string model;
};
ChatBody chat_body(std::string_view request_json, const Settings& settings, bool stream);

struct ChatChunk {
    std::string content;  // message.content (thinking is never mixed in)
    bool done = false;
    std::string done_reason;  // raw
    std::optional<int64_t> prompt_tokens;
    std::optional<int64_t> completion_tokens;
    std::string model;
    std::optional<std::string> error;  // an {"error": "..."} object
};

// One NDJSON line or a whole non-streamed body. nullopt when not a JSON object.
std::optional<ChatChunk> parse_chat_chunk(std::string_view text);

// "stop" | "length" | "error" from Ollama's done_reason ("" when absent -> "stop").
std::string normalise_finish_reason(std::string_view done_reason);

// autoarr.chat_response/1 from the final state, as an object and as text.
boost::json::object response_object(const std::string& content, const ChatChunk& final_chunk, const std::string& model);
std::string chat_response(const std::string& content, const ChatChunk& final_chunk, const std::string& model);
std::string usage_json(const ChatChunk& final_chunk);

// Names of the local models from an /api/tags body; nullopt when malformed.
std::optional<std::vector<std::string>> parse_tags(std::string_view body);
// "llama3" matches "llama3:latest"; otherwise names must be equal.
bool model_matches(std::string_view wanted, std::string_view have);

// The message of an Ollama error body: {"error": "..."} or plain text (gin's 404/405).
std::string error_message(std::string_view body);

}  // namespace autoarr::ollama
