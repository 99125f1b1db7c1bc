#include "http/retry_after.h"

#include <cmath>
#include <ctime>
#include <stdexcept>
#include <string>

namespace autoarr::http {

std::optional<int64_t> retry_after_ms(const std::string* ms, const std::string* secs, int64_t now_epoch,
                                      double max_seconds) {
    auto honour = [max_seconds](double seconds) -> std::optional<int64_t> {
        // Rounded up (found by fuzzing: "retry-after-ms: 0.5" gave 0, "retry at once").
        if (seconds > 0 && seconds <= max_seconds) return static_cast<int64_t>(std::ceil(seconds * 1000));
        return std::nullopt;
    };
    if (ms) {
        try {
            std::size_t used = 0;
            double v = std::stod(*ms, &used);
            if (used == ms->size()) return honour(v / 1000.0);
        } catch (const std::logic_error&) {  // not a number (stod): the header says nothing usable
        }
    }
    if (secs) {
        try {
            std::size_t used = 0;
            double v = std::stod(*secs, &used);
            if (used == secs->size()) return honour(v);
        } catch (const std::logic_error&) {  // not a number (stod): the header says nothing usable
        }
        std::tm tm{};
        if (strptime(secs->c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return honour(double(timegm(&tm) - now_epoch));
    }
    return std::nullopt;
}

}  // namespace autoarr::http
