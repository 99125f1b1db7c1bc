// The OpenAI-compatible plugin's parsers (plugins/openai/openai_protocol.cpp):
// a streamed answer through the SSE decoder and the stream assembler (whole,
// and byte by byte: the same result), a whole answer, an error body, and the
// same bytes as a chat request. Nothing may crash, hang or disagree.
#include <string>

#include "fuzz_support.h"
#include "http/sse_decoder.h"
#include "openai_protocol.h"

using namespace autoarr;

namespace {

std::string assemble(std::string_view bytes, std::size_t piece) {
    http::SseDecoder decoder;
    openai::StreamAssembler a;
    std::string text;
    for (std::size_t at = 0; at < bytes.size(); at += piece)
        if (!decoder.feed(bytes.substr(at, piece), [&](std::string_view, std::string_view data) {
                text += a.apply(data);
                return !a.error && !a.malformed;
            }))
            break;
    for (const auto& [index, call] : a.tool_calls) {
        try {
            (void)openai::tool_call_object(call);
        } catch (const std::invalid_argument&) {  // arguments that are not a JSON object: a typed error in the plugin
        }
    }
    return text + (a.done ? "|done" : "") + (a.error ? "|error" : "") + (a.malformed ? "|malformed" : "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto text = fuzz::as_text(data, size);
    FUZZ_CHECK(assemble(text, text.size() + 1) == assemble(text, 1), "a stream reads the same whole and byte by byte");

    if (auto c = openai::parse_completion(text)) {
        try {
            (void)openai::response_object(*c, "m", 4096);
        } catch (const std::invalid_argument&) {  // tool arguments that are not an object
        }
    }
    const auto e = openai::parse_error(text);
    FUZZ_CHECK(!e.message.empty(), "an error always says something");
    (void)openai::is_context_overflow(e);
    openai::Settings s;
    try {
        (void)openai::chat_body(text, s, "m", true);
    } catch (const std::invalid_argument&) {  // a request the plugin refuses, naming the field
    }
    return 0;
}
