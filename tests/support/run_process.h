// Runs a real child process and captures its stdout, stderr and exit code.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "support/temp_dir.h"

namespace autoarr::test {

struct ProcessResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// command is passed to /bin/sh; quote arguments with shell_quote.
inline ProcessResult run_process(const std::string& command) {
    TempDir tmp;
    auto err_path = tmp.path() / "stderr";
    ProcessResult r;
    FILE* p = ::popen((command + " 2>" + shell_quote(err_path.string())).c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_file(err_path);
    return r;
}

}  // namespace autoarr::test
