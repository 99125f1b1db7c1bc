// A small command-line reader: flags, options with values (--x V or --x=V),
// repeated options, and positional words, with errors that name the flag.
#pragma once

#include <optional>
#include <set>
#include <string>
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

}  // namespace autoarr::app
