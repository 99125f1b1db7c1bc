// A small command-line reader: flags, options with values (--x V or --x=V),
// repeated options, and positional words, with errors that name the flag.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace autoarr::app {

class CliArgs {
public:
    // flags: options without a value; valued: options taking one value.
    CliArgs(std::vector<std::string> args, std::set<std::string> flags, std::set<std::string> valued);

    const std::string& error() const { return error_; }  // "" when the words parsed
    bool has(const std::string& flag) const;
    std::optional<std::string> value(const std::string& option) const;  // last one given
    std::vector<std::string> values(const std::string& option) const;   // every one, in order
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::vector<std::pair<std::string, std::string>> options_;
    std::vector<std::string> positional_;
    std::string error_;
};

// The start every command shares. On a parse error, or a positional word
// where the command takes none, prints "autoarr <command>: <why>" and the
// usage to stderr and returns 2. On --help prints `help` (the usage when
// empty) to stdout and returns 0. Otherwise returns nullopt: carry on.
std::optional<int> usage_exit(const CliArgs& args, std::string_view command, std::string_view usage,
                              bool takes_positional = false, std::string_view help = {});

}  // namespace autoarr::app
