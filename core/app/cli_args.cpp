#include "app/cli_args.h"

#include <iostream>

namespace autoarr::app {

CliArgs::CliArgs(std::vector<std::string> args, std::set<std::string> flags, std::set<std::string> valued) {
    bool only_positional = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (only_positional || a.size() < 2 || a[0] != '-' || a == "-") {
            positional_.push_back(a);
            continue;
        }
        if (a == "--") {
            only_positional = true;
            continue;
        }
        std::string name = a, inline_value;
        bool has_inline = false;
        if (auto eq = a.find('='); eq != std::string::npos) {
            name = a.substr(0, eq);
            inline_value = a.substr(eq + 1);
            has_inline = true;
        }
        if (flags.count(name)) {
            if (has_inline) {
                error_ = "option " + name + " takes no value";
                return;
            }
            options_.emplace_back(name, "");
        } else if (valued.count(name)) {
            if (has_inline) {
                options_.emplace_back(name, inline_value);
            } else if (i + 1 < args.size()) {
                options_.emplace_back(name, args[++i]);
            } else {
                error_ = "option " + name + " needs a value";
                return;
            }
        } else {
            error_ = "unknown option " + name;
            return;
        }
    }
}

bool CliArgs::has(const std::string& flag) const {
    for (const auto& [k, v] : options_)
        if (k == flag) return true;
    return false;
}

std::optional<std::string> CliArgs::value(const std::string& option) const {
    std::optional<std::string> out;
    for (const auto& [k, v] : options_)
        if (k == option) out = v;
    return out;
}

std::vector<std::string> CliArgs::values(const std::string& option) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : options_)
        if (k == option) out.push_back(v);
    return out;
}

std::optional<int> usage_exit(const CliArgs& args, std::string_view command, std::string_view usage,
                              bool takes_positional, std::string_view help) {
    if (!args.error().empty() || (!takes_positional && !args.positional().empty())) {
        std::cerr << "autoarr " << command << ": "
                  << (args.error().empty() ? "unexpected argument " + args.positional()[0] : args.error()) << "\n"
                  << usage;
        return 2;
    }
    if (args.has("--help")) {
        std::cout << (help.empty() ? usage : help);
        return 0;
    }
    return std::nullopt;
}

}  // namespace autoarr::app
