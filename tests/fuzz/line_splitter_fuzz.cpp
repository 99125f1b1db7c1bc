// Ollama's NDJSON line splitter (lib/http/line_splitter.cpp):
// however the network cuts the stream, the same lines come out, a line
// longer than the limit is refused, and nothing is lost or invented.
#include "fuzz_support.h"
#include "http/line_splitter.h"

using namespace autoarr;

namespace {

struct Outcome {
    std::vector<std::string> lines;
    bool ok = true;
    bool too_long = false;
    std::string pending;
};

// Stops after `stop_after` lines (the caller's "stop reading"), like a provider that was cancelled.
Outcome split(std::string_view bytes, fuzz::Cut how, std::size_t max_line, std::size_t stop_after) {
    http::LineSplitter splitter(max_line);
    Outcome out;
    for (auto piece : fuzz::cut(bytes, how)) {
        out.ok = splitter.feed(piece, [&](std::string_view line) {
            out.lines.emplace_back(line);
            return out.lines.size() < stop_after;
        });
        if (!out.ok) break;
    }
    out.too_long = splitter.too_long();
    out.pending = splitter.pending();
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    // The first byte picks the line limit and when the reader stops.
    const std::size_t max_line = 1 + data[0] % 64;
    const std::size_t stop_after = data[0] >= 128 ? 1 + data[0] % 5 : SIZE_MAX;
    const auto bytes = fuzz::as_text(data + 1, size - 1);

    const Outcome whole = split(bytes, fuzz::Cut::whole, max_line, stop_after);
    for (auto how : {fuzz::Cut::bytewise, fuzz::Cut::pieces}) {
        const Outcome other = split(bytes, how, max_line, stop_after);
        FUZZ_CHECK(other.lines == whole.lines, "the same lines however the stream is cut");
        FUZZ_CHECK(other.ok == whole.ok && other.too_long == whole.too_long, "the same verdict however it is cut");
        if (whole.ok) FUZZ_CHECK(other.pending == whole.pending, "the same unfinished line");
    }
    for (const auto& line : whole.lines) {
        FUZZ_CHECK(line.size() <= max_line, "no line above the limit");
        FUZZ_CHECK(line.find('\n') == std::string::npos, "a line holds no LF");
    }
    if (whole.ok) {
        // Nothing lost: the lines, their ends and the pending bytes are the stream.
        std::size_t at = 0;
        for (const auto& line : whole.lines) {
            FUZZ_CHECK(bytes.compare(at, line.size(), line) == 0, "a line is the stream's bytes");
            at += line.size();
            if (at < bytes.size() && bytes[at] == '\r') ++at;
            FUZZ_CHECK(at < bytes.size() && bytes[at] == '\n', "a line ends at LF");
            ++at;
        }
        FUZZ_CHECK(bytes.substr(at) == whole.pending, "what is left is pending");
    }
    return 0;
}
