// The audit's progress on stderr while a model explains the findings: one
// line rewritten in place on a terminal, one line per batch on a pipe (only
// with --progress), nothing otherwise.
#pragma once

#include <cstdio>
#include <string>

#include "audit/enrichment.h"

namespace autoarr::app {

class ProgressLine {
public:
    enum class Mode { off, terminal, lines };
    // terminal when stderr is a TTY; lines when it is not but --progress was given.
    static Mode choose(bool stderr_is_tty, bool progress_flag);

    explicit ProgressLine(Mode mode, std::FILE* out = stderr) : mode_(mode), out_(out) {}
    ~ProgressLine() { finish(); }
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    void update(const audit::EnrichmentProgress& progress);
    void finish();  // ends the terminal line

    // "explained 12/91 · batch 4/13 · 7.9 tokens/s" (what update() prints).
    static std::string text(const audit::EnrichmentProgress& progress);

private:
    Mode mode_;
    std::FILE* out_;
    bool open_ = false;  // a terminal line is showing
};

}  // namespace autoarr::app
