// A streamed /api/chat answer as the Ollama provider reads it
// (ollama_provider.cpp, on_stream_bytes): the NDJSON line splitter and the
// chunk parser, however the network cuts the stream; the same text, the
// same final chunk and the same verdict every way, and a final answer that
// is valid JSON.
#include <boost/json.hpp>
#include <optional>

#include "fuzz_support.h"
#include "http/line_splitter.h"
#include "ollama_protocol.h"

using namespace autoarr;
namespace json = boost::json;

namespace {

struct Read {
    std::string text;  // the deltas, in order
    std::optional<ollama::ChatChunk> final_chunk;
    std::optional<std::string> error;
    bool bad_line = false, too_long = false, cut_inside_line = false;
};

// The provider's line handling, step for step.
Read read(std::string_view bytes, fuzz::Cut how) {
    http::LineSplitter splitter(4096);
    Read r;
    for (auto piece : fuzz::cut(bytes, how)) {
        const bool ok = splitter.feed(piece, [&](std::string_view line) {
            if (line.find_first_not_of(" \t") == std::string_view::npos) return true;
            auto chunk = ollama::parse_chat_chunk(line);
            if (!chunk) {
                r.bad_line = true;
                return false;
            }
            if (chunk->error) {
                r.error = *chunk->error;
                return false;
            }
            r.text += chunk->content;
            if (chunk->done) r.final_chunk = std::move(*chunk);
            return true;
        });
        if (!ok) {
            r.too_long = splitter.too_long();
            return r;
        }
    }
    r.cut_inside_line = !splitter.pending().empty();
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto bytes = fuzz::as_text(data, size);
    const Read whole = read(bytes, fuzz::Cut::whole);
    for (auto how : {fuzz::Cut::bytewise, fuzz::Cut::pieces}) {
        const Read other = read(bytes, how);
        FUZZ_CHECK(other.text == whole.text, "the same text however the stream is cut");
        FUZZ_CHECK(other.bad_line == whole.bad_line && other.too_long == whole.too_long && other.error == whole.error,
                   "the same verdict however the stream is cut");
        FUZZ_CHECK(other.final_chunk.has_value() == whole.final_chunk.has_value(), "the same end");
    }
    if (whole.final_chunk) {
        json::error_code ec;
        const auto done = ollama::response_object("", *whole.final_chunk, "fuzz-model", 8192);
        const auto v = json::parse(json::serialize(done), ec);
        FUZZ_CHECK(!ec && v.is_object(), "the final answer is a JSON object");
        const auto u = json::parse(ollama::usage_json(*whole.final_chunk, 8192), ec);
        FUZZ_CHECK(!ec && u.is_object(), "usage is a JSON object");
        (void)ollama::prompt_was_cut(*whole.final_chunk, 8192);
    }
    return 0;
}
