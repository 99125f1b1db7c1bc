// Claude's streamed answer as the Claude provider reads it
// (claude_provider.cpp, stream_once): the SSE decoder and the stream
// assembler, however the network cuts the stream; the same events, text
// and verdict every way. The same bytes as a non-streamed Message body.
#include <boost/json.hpp>
#include <optional>
#include <utility>

#include "claude_protocol.h"
#include "fuzz_support.h"

using namespace autoarr;
namespace json = boost::json;

namespace {

struct Read {
    std::vector<std::pair<std::string, std::string>> events;
    std::string text;
    bool complete = false, error = false, malformed = false, clean_end = false;
    claude::Message message;
};

Read read(std::string_view bytes, fuzz::Cut how) {
    claude::SseDecoder decoder;
    claude::StreamAssembler assembler;
    Read r;
    bool go_on = true;
    for (auto piece : fuzz::cut(bytes, how)) {
        go_on = decoder.feed(piece, [&](std::string_view event, std::string_view data) {
            r.events.emplace_back(event, data);
            r.text += assembler.apply(event, data);
            return !assembler.error && !assembler.malformed;
        });
        if (!go_on) break;
    }
    r.complete = assembler.complete;
    r.error = assembler.error.has_value();
    r.malformed = assembler.malformed.has_value();
    r.clean_end = go_on && decoder.clean_end();
    r.message = assembler.message;
    return r;
}

void check_message(const claude::Message& m) {
    json::error_code ec;
    const auto v = json::parse(claude::chat_response(m, "fuzz-model"), ec);
    FUZZ_CHECK(!ec && v.is_object(), "chat_response is a JSON object");
    const auto u = json::parse(claude::usage_json(m.usage), ec);
    FUZZ_CHECK(!ec && u.is_object(), "usage_json is a JSON object");
    const auto reason = claude::normalise_stop_reason(m.stop_reason);
    FUZZ_CHECK(fuzz::known_finish_reason(reason), "a known finish reason");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto bytes = fuzz::as_text(data, size);
    const Read whole = read(bytes, fuzz::Cut::whole);
    for (auto how : {fuzz::Cut::bytewise, fuzz::Cut::pieces}) {
        const Read other = read(bytes, how);
        FUZZ_CHECK(other.events == whole.events, "the same events however the stream is cut");
        FUZZ_CHECK(other.text == whole.text, "the same text however the stream is cut");
        FUZZ_CHECK(other.complete == whole.complete && other.error == whole.error &&
                       other.malformed == whole.malformed && other.clean_end == whole.clean_end,
                   "the same verdict however the stream is cut");
    }
    FUZZ_CHECK(whole.message.text == whole.text, "the message holds exactly the text that was emitted");
    check_message(whole.message);
    if (auto m = claude::parse_message(bytes)) check_message(*m);
    return 0;
}
