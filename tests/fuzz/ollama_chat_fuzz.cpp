// Ollama's answers and requests (plugins/ollama/ollama_protocol.cpp): a
// non-streamed /api/chat body, /api/show, /api/tags, an error body and a
// Retry-After value; the same bytes as a chat request and as settings. Bad
// input is nullopt or std::invalid_argument naming the field, never a crash
// or another exception; what is produced is valid JSON.
#include <boost/json.hpp>
#include <stdexcept>

#include "fuzz_support.h"
#include "ollama_protocol.h"

using namespace autoarr;
namespace json = boost::json;

namespace {

void check_response(const ollama::ChatChunk& chunk, int64_t num_ctx) {
    json::error_code ec;
    const auto v = json::parse(ollama::chat_response(chunk.content, chunk, "fuzz-model", num_ctx), ec);
    FUZZ_CHECK(!ec && v.is_object(), "chat_response is a JSON object");
    FUZZ_CHECK(v.as_object().contains("content") && v.as_object().contains("finish_reason"),
               "chat_response has content and finish_reason");
    const auto u = json::parse(ollama::usage_json(chunk, num_ctx), ec);
    FUZZ_CHECK(!ec && u.is_object(), "usage_json is a JSON object");
    (void)ollama::prompt_was_cut(chunk, num_ctx);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto text = fuzz::as_text(data, size);

    if (auto chunk = ollama::parse_chat_chunk(text)) {
        for (int64_t num_ctx : {int64_t{0}, int64_t{4096}, chunk->prompt_tokens.value_or(1)})
            check_response(*chunk, num_ctx);
        const auto reason = ollama::normalise_finish_reason(chunk->done_reason);
        FUZZ_CHECK(fuzz::known_finish_reason(reason), "a known finish reason");
    }
    const auto max = ollama::parse_show_context_length(text);
    ollama::Settings settings;
    const int64_t window = ollama::effective_num_ctx(settings, max);
    FUZZ_CHECK(window > 0, "a window is positive");
    if (max && *max > 0) FUZZ_CHECK(window <= *max, "never above the model's maximum");
    if (auto tags = ollama::parse_tags(text))
        for (const auto& name : *tags) (void)ollama::model_matches("qwen2.5:7b", name);
    (void)ollama::error_message(text);
    (void)ollama::retry_after_ms(std::string(text.substr(0, 64)));

    // The same bytes as what the host sends: a chat request and the settings.
    for (bool stream : {false, true}) {
        try {
            auto body = ollama::chat_body(text, settings, stream, [](const std::string&) { return int64_t{8192}; });
            json::error_code ec;
            const auto v = json::parse(body.body, ec);
            FUZZ_CHECK(!ec && v.is_object(), "the /api/chat body is a JSON object");
            FUZZ_CHECK(!body.model.empty(), "the body names a model");
        } catch (const std::invalid_argument&) {
        }
    }
    try {
        (void)ollama::parse_settings(text);
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
