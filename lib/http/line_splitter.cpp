#include "http/line_splitter.h"

namespace autoarr::http {

bool LineSplitter::feed(std::string_view bytes, const std::function<bool(std::string_view)>& on_line) {
    while (!bytes.empty()) {
        auto lf = bytes.find('\n');
        if (lf == std::string_view::npos) {
            pending_.append(bytes);
            if (pending_.size() > max_line_) {
                too_long_ = true;
                return false;
            }
            return true;
        }
        std::string_view line;
        if (pending_.empty()) {
            line = bytes.substr(0, lf);  // no copy in the common case
        } else {
            pending_.append(bytes.substr(0, lf));
            line = pending_;
        }
        if (line.size() > max_line_) {
            too_long_ = true;
            return false;
        }
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        bool go_on = on_line(line);
        pending_.clear();
        bytes.remove_prefix(lf + 1);
        if (!go_on) return false;
    }
    return true;
}

}  // namespace autoarr::http
