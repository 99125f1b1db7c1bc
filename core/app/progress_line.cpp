#include "app/progress_line.h"

namespace autoarr::app {

ProgressLine::Mode ProgressLine::choose(bool stderr_is_tty, bool progress_flag) {
    if (stderr_is_tty) return Mode::terminal;
    return progress_flag ? Mode::lines : Mode::off;
}

std::string ProgressLine::text(const audit::EnrichmentProgress& p) {
    const auto& s = p.stats;
    std::string t = "explained " + std::to_string(s.explained) + "/" + std::to_string(s.total);
    if (s.batches > 0)
        t += " · batch " + std::to_string(s.batches_done + s.batches_failed) + "/" + std::to_string(s.batches);
    if (s.cached > 0) t += " · " + std::to_string(s.cached) + " cached";
    if (p.tokens_per_s > 0) {
        char rate[32];
        std::snprintf(rate, sizeof rate, " · %.1f tokens/s", p.tokens_per_s);
        t += rate;
    }
    if (!p.provider.empty()) t += " · " + p.provider;
    return t;
}

void ProgressLine::update(const audit::EnrichmentProgress& p) {
    if (mode_ == Mode::off) return;
    const std::string t = text(p);
    if (mode_ == Mode::terminal) {
        std::fprintf(out_, "\r\x1b[2K%s", t.c_str());  // rewrite the line in place
        open_ = true;
    } else {
        std::fprintf(out_, "autoarr audit: %s\n", t.c_str());
    }
    std::fflush(out_);
}

void ProgressLine::finish() {
    if (!open_) return;
    std::fputs("\n", out_);
    std::fflush(out_);
    open_ = false;
}

}  // namespace autoarr::app
