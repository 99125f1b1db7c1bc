// Ollama's native API, mapped to and from AutoArr's payloads. Pure
// functions: no I/O, so every fixture can be checked byte for byte.
#pragma once

#include <boost/json.hpp>
#include <functional>
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
    // The context window asked for on every chat call (options.num_ctx). Unset:
    // kDefaultNumCtx. Never above the model's own maximum (from /api/show).
    std::optional<int64_t> num_ctx;
    // Ollama's "think": false unless asked for (a thinking model otherwise
    // spends the answer's budget thinking).
    bool think = false;
};

// What a chat call asks for when no num_ctx is set: room for the audit's
// batches (docs/providers.md). Ollama's own default is 4096 below 24 GiB of VRAM.
constexpr int64_t kDefaultNumCtx = 8192;
// Used when the model's maximum is unknown (an Ollama without model_info).
constexpr int64_t kUnknownModelNumCtx = 4096;

// The window in effect for a model: the setting (or the default), capped at
// the model's maximum when it is known.
int64_t effective_num_ctx(const Settings& settings, std::optional<int64_t> model_max);

// Throws std::invalid_argument naming the setting when a value is wrong.
Settings parse_settings(std::string_view json);

// autoarr.chat_request/1 -> an /api/chat body, and the model it asks for
// (the request's "model", else the configured one). The request is parsed
// once. Throws std::invalid_argument naming the field for anything Ollama
// cannot honour.
struct ChatBody {
    std::string body;
    std::string model;
    int64_t num_ctx = 0;  // the window sent (0: none)
};
// window(model) gives the num_ctx to send for the model asked for
// (effective_num_ctx); null or 0 sends none.
using WindowFor = std::function<int64_t(const std::string& model)>;
ChatBody chat_body(std::string_view request_json, const Settings& settings, bool stream,
                   const WindowFor& window = nullptr);

struct ChatChunk {
    std::string content;  // message.content (thinking is never mixed in)
    bool done = false;
    std::string done_reason;  // raw
    std::optional<int64_t> prompt_tokens;
    std::optional<int64_t> completion_tokens;
    std::optional<int64_t> cached_tokens;  // prompt_eval_cached_count (newer releases)
    std::string model;
    std::optional<std::string> error;  // an {"error": "..."} object
    // ABI 1.1: message.tool_calls, whole (Ollama sends each call in one chunk),
    // as the host receives them: {"index", "id", "name", "arguments": {...}}.
    std::vector<boost::json::object> tool_calls;
};

// One NDJSON line or a whole non-streamed body. nullopt when not a JSON object.
std::optional<ChatChunk> parse_chat_chunk(std::string_view text);

// "stop" | "length" | "error" from Ollama's done_reason ("" when absent -> "stop").
std::string normalise_finish_reason(std::string_view done_reason);

// autoarr.chat_response/1 from the final state, as an object and as text.
// Older Ollama releases give tool calls no id: "call_<index>" then.
void name_call(boost::json::object& call);
// `tool_calls`: every call the answer made (a stream's come in earlier chunks).
boost::json::object response_object(const std::string& content, const ChatChunk& final_chunk, const std::string& model,
                                    int64_t num_ctx = 0, const std::vector<boost::json::object>& tool_calls = {});
std::string chat_response(const std::string& content, const ChatChunk& final_chunk, const std::string& model,
                          int64_t num_ctx = 0);
// usage carries "context_window" when num_ctx > 0 (the window in effect).
std::string usage_json(const ChatChunk& final_chunk, int64_t num_ctx = 0);

// The model's maximum context from an /api/show body:
// model_info["<general.architecture>.context_length"]. nullopt when absent.
std::optional<int64_t> parse_show_context_length(std::string_view body);

// Whether an answer shows that Ollama cut the prompt to fit num_ctx. Releases
// count differently: today's count the whole prompt in prompt_eval_count
// (cached prefix included), some counted only newly evaluated tokens, older
// ones left the count out on a full cache hit. A small or missing count is
// therefore "unknown", never a cut; a count that fills the whole window is a
// cut (Ollama's runner truncates a long prompt to exactly num_ctx tokens).
bool prompt_was_cut(const ChatChunk& final_chunk, int64_t num_ctx);

// Names of the local models from an /api/tags body; nullopt when malformed.
std::optional<std::vector<std::string>> parse_tags(std::string_view body);
// "llama3" matches "llama3:latest"; otherwise names must be equal.
bool model_matches(std::string_view wanted, std::string_view have);

// A Retry-After header (seconds; a proxy in front of Ollama may send one) in
// milliseconds, or -1 when it is not a number of seconds from 0 to a day.
constexpr double kMaxRetryAfterSeconds = 86400;
int64_t retry_after_ms(const std::string& header);

// The message of an Ollama error body: {"error": "..."} or plain text (gin's 404/405).
std::string error_message(std::string_view body);

}  // namespace autoarr::ollama
