#include "util/secret_scrubber.h"

#include <algorithm>

#include "http/text_limits.h"

namespace autoarr::util {

void SecretScrubber::add(std::string_view secret) {
    if (secret.size() < kMinLength) return;
    std::lock_guard lock(values_mutex_);
    if (std::find(values_.begin(), values_.end(), secret) != values_.end()) return;
    const auto at =
        std::find_if(values_.begin(), values_.end(), [&](const auto& v) { return v.size() < secret.size(); });
    values_.insert(at, std::string(secret));
}

void SecretScrubber::add_all(const SecretScrubber& other) {
    std::vector<std::string> copy;
    {
        std::lock_guard lock(other.values_mutex_);
        copy = other.values_;
    }
    for (const auto& v : copy) add(v);
}

std::size_t SecretScrubber::scrub_in_place(std::string& text) const {
    std::lock_guard lock(values_mutex_);
    std::size_t n = 0;
    for (const auto& secret : values_) {
        for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + kRedactedText.size())) {
            text.replace(at, secret.size(), kRedactedText);
            ++n;
        }
    }
    return n;
}

std::string SecretScrubber::scrub(std::string_view text) const {
    std::string out(text);
    scrub_in_place(out);
    return out;
}

bool SecretScrubber::empty() const {
    std::lock_guard lock(values_mutex_);
    return values_.empty();
}

SecretScrubber& process_secrets() {
    static SecretScrubber secrets;
    return secrets;
}

std::string safe_error_text(std::string_view text) {
    // Scrub before cutting, so a secret astride the cut cannot leave a prefix.
    return http::bounded_text(process_secrets().scrub(text.substr(0, http::kMaxErrorBody)));
}

}  // namespace autoarr::util
