#include "http/sse_decoder.h"

namespace autoarr::http {

bool SseDecoder::line_done(const EventFn& on_event) {
    if (line_.empty()) {  // blank line: dispatch
        bool go_on = true;
        if (has_data_) go_on = on_event(event_.empty() ? std::string_view("message") : std::string_view(event_), data_);
        event_.clear();
        data_.clear();
        has_data_ = false;
        return go_on;
    }
    if (line_[0] != ':') {
        auto colon = line_.find(':');
        std::string_view name = std::string_view(line_).substr(0, colon);
        std::string_view value;
        if (colon != std::string::npos) {
            value = std::string_view(line_).substr(colon + 1);
            if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
        }
        if (name == "event")
            event_ = std::string(value);
        else if (name == "data") {
            if (has_data_) data_ += '\n';
            data_ += value;
            has_data_ = true;
        }
        // id, retry and unknown fields are ignored
    }
    line_.clear();
    return true;
}

bool SseDecoder::feed(std::string_view bytes, const EventFn& on_event) {
    for (char c : bytes) {
        if (pending_cr_) {
            pending_cr_ = false;
            if (c == '\n') continue;  // CRLF: the CR already ended the line
        }
        if (c == '\r') {
            pending_cr_ = true;
            if (!line_done(on_event)) return false;
        } else if (c == '\n') {
            if (!line_done(on_event)) return false;
        } else {
            line_ += c;
        }
    }
    return true;
}

}  // namespace autoarr::http
