// Known secret values (the applications' API keys, the provider keys, the
// API token, passwords found in a document), replaced wherever they occur in
// a text. Redaction by name (audit/redact) misses a key that an upstream
// echoes in an error or that a user copied into another field; this does not.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace autoarr::util {

inline constexpr std::string_view kRedactedText = "**redacted**";

class SecretScrubber {
public:
    // Shorter values are not treated as secrets: replacing every "abc" would
    // shred ordinary text and tell a reader the secret anyway.
    static constexpr std::size_t kMinLength = 6;

    SecretScrubber() = default;
    SecretScrubber(const SecretScrubber&) = delete;
    SecretScrubber& operator=(const SecretScrubber&) = delete;

    // Ignores values shorter than kMinLength, and repeats.
    void add(std::string_view secret);
    void add_all(const SecretScrubber& other);
    // Replaces every occurrence of a known value in `text`; returns how many.
    std::size_t scrub_in_place(std::string& text) const;
    std::string scrub(std::string_view text) const;
    bool empty() const;

private:
    mutable std::mutex values_mutex_;  // guards values_: added at start-up, read by every error path
    std::vector<std::string> values_;  // longest first, so a secret that contains another goes whole
};

// The secrets of this process's configuration, registered by the host at start.
SecretScrubber& process_secrets();

// What every error text that is stored or returned goes through: the process
// secrets replaced, then valid UTF-8 and at most 4 KiB (http::kMaxErrorText).
std::string safe_error_text(std::string_view text);

}  // namespace autoarr::util
