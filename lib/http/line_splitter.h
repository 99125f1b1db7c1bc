// Splits a byte stream into lines at LF, however the network cut it. Bytes
// are never decoded here: a multibyte UTF-8 character split across reads is
// simply kept until its line is complete (PROTOCOLS.md §3.1).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace autoarr::http {

class LineSplitter {
public:
    explicit LineSplitter(std::size_t max_line = 8 * 1024 * 1024) : max_line_(max_line) {}

    // Calls on_line(line) for every complete line (without LF; a trailing CR
    // is removed). Returns false when on_line returned false or a line is
    // longer than max_line (then too_long() is true).
    bool feed(std::string_view bytes, const std::function<bool(std::string_view)>& on_line);

    bool too_long() const { return too_long_; }
    // Bytes after the last LF (a line the stream did not finish).
    const std::string& pending() const { return pending_; }

private:
    std::size_t max_line_;
    std::string pending_;
    bool too_long_ = false;
};

}  // namespace autoarr::http
