// Server-sent events (the WHATWG EventSource format), as model servers send
// them: Anthropic's Messages streams and every OpenAI-compatible server's
// chat-completion streams. Pure code, no I/O.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace autoarr::http {

// Splits on blank lines (LF, CRLF or CR line ends),
// joins multiple data lines with LF, ignores comments and id/retry fields.
class SseDecoder {
public:
    using EventFn = std::function<bool(std::string_view event, std::string_view data)>;
    // Returns false when on_event returned false.
    bool feed(std::string_view bytes, const EventFn& on_event);
    // At end of stream: true when nothing was left half-received.
    bool clean_end() const { return line_.empty() && data_.empty() && event_.empty(); }

private:
    bool line_done(const EventFn& on_event);
    std::string line_;
    std::string event_;
    std::string data_;
    bool has_data_ = false;
    bool pending_cr_ = false;
};

}  // namespace autoarr::http
