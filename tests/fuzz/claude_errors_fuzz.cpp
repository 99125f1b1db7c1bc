// Claude's error mapping (plugins/claude/claude_protocol.cpp): an error body
// of any shape, and the retry-after-ms and retry-after headers, honoured only
// between 0 and 60 s. Input: the retry-after-ms value, LF, the retry-after
// value, LF, the body.
#include <string>

#include "claude_protocol.h"
#include "fuzz_support.h"

using namespace autoarr;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto text = fuzz::as_text(data, size);
    auto next_line = [&]() -> std::optional<std::string> {
        const auto lf = text.find('\n');
        if (lf == std::string_view::npos) return std::nullopt;
        std::string line(text.substr(0, lf));
        text.remove_prefix(lf + 1);
        return line;
    };
    const auto ms_header = next_line();
    const auto header = next_line();
    const std::string_view body = text;

    const auto e = claude::parse_error(body);
    FUZZ_CHECK(!e.message.empty() || !e.type.empty(), "an error always says something");
    (void)claude::structured_output_refused(400, body);
    (void)claude::structured_output_refused(500, body);

    // 2026-12-01T00:00:00Z, so an HTTP-date lands on either side of it.
    const int64_t now = 1796083200;
    const auto ra = claude::retry_after_ms(ms_header ? &*ms_header : nullptr, header ? &*header : nullptr, now);
    if (ra) FUZZ_CHECK(*ra > 0 && *ra <= 60000, "retry-after is honoured only between 0 and 60 s");
    return 0;
}
