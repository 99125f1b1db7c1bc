#include "app/cache_command.h"

#include <iostream>

#include "app/cli_args.h"
#include "app/default_paths.h"
#include "store/store.h"

namespace autoarr::app {

namespace {
constexpr const char* kUsage =
    "usage: autoarr cache clear [--db PATH]\n"
    "  clear   remove every cached model explanation (the next audit asks the model again)\n"
    "  --db    the database (default: $AUTOARR_DB, else the XDG data path, as serve and audit use)\n";
}

int run_cache_command(const std::vector<std::string>& args) {
    CliArgs a(args, {"--help"}, {"--db"});
    if (auto code = usage_exit(a, "cache", kUsage, /*takes_positional=*/true)) return *code;
    if (a.positional().size() != 1 || a.positional()[0] != "clear") {
        std::cerr << "autoarr cache: the one subcommand is \"clear\"\n" << kUsage;
        return 2;
    }
    const std::string path = a.value("--db").value_or(default_db_path());
    try {
        store::Store db(path);
        const int64_t n = db.clear_explanations();
        std::cout << "removed " << n << " cached explanation" << (n == 1 ? "" : "s") << " from " << path << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "autoarr cache: " << e.what() << "\n";
        return 2;
    }
}

}  // namespace autoarr::app
