// The rule-file loader (core/audit/rule_set.cpp): any file is refused with
// std::runtime_error naming the file and the problem, or loads into rules
// that run on the sample stack without throwing.
#include <stdexcept>

#include "audit/engine.h"
#include "sample_stack.h"

using namespace autoarr;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto& sample = fuzz::sample_stack();
    audit::RuleSet rules;
    try {
        rules = audit::parse_rules(fuzz::as_text(data, size), "fuzz-rules.json");
    } catch (const std::runtime_error& e) {
        FUZZ_CHECK(std::string_view(e.what()).find("fuzz-rules.json") != std::string_view::npos,
                   "a refused rule file is named in the error");
        return 0;
    }
    const auto findings = audit::evaluate_rules(rules, sample.stack.documents, "2026-12-01");
    FUZZ_CHECK(findings.size() <= rules.rules.size(), "at most one finding per rule");
    (void)audit::health_score(findings);
    return 0;
}
