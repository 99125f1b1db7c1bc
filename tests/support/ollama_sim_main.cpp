// The simulated home-server Ollama (support/ollama_sim.h) as a process, for
// the browser tests: prints its port, serves until stdin closes.
//   ollama_sim_server [--generated-tokens-per-s N] [--streamed-tokens-per-s N] [--context N]
#include <cstdlib>
#include <iostream>
#include <string>

#include "support/ollama_sim.h"

int main(int argc, char** argv) {
    autoarr::test::OllamaSimProfile profile;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const double value = std::atof(argv[i + 1]);
        if (flag == "--generated-tokens-per-s" && value >= 0) {
            profile.generated_tokens_per_s = value;
        } else if (flag == "--streamed-tokens-per-s" && value >= 0) {
            profile.streamed_tokens_per_s = value;
        } else if (flag == "--context" && value >= 512) {
            profile.model_max_context = static_cast<int64_t>(value);
        } else {
            std::cerr << "ollama_sim_server: unknown or bad option " << flag << " " << argv[i + 1] << "\n";
            return 2;
        }
    }
    autoarr::test::OllamaSim sim(profile);
    std::cout << sim.server().port() << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    return 0;
}
