// A model's free-form answer (core/audit/enrichment.cpp): the JSON object
// found in it (bare, fenced, or in prose) and that object applied to the
// sample stack's findings. An answer can explain only findings that fired
// and add only findings on settings that exist; never a crash.
#include <boost/json.hpp>

#include "audit/enrichment.h"
#include "sample_stack.h"

using namespace autoarr;
namespace json = boost::json;

namespace {

void apply(const json::object& answer) {
    const auto& sample = fuzz::sample_stack();
    auto findings = sample.findings;
    audit::EnrichmentStats stats;
    const auto error = audit::apply_answer(answer, findings, sample.redacted, stats);
    if (!error.empty()) {
        FUZZ_CHECK(findings.size() == sample.findings.size(), "a refused answer changes nothing");
        return;
    }
    FUZZ_CHECK(findings.size() == sample.findings.size() + static_cast<std::size_t>(stats.added),
               "only the counted findings are added");
    for (std::size_t i = 1; i < findings.size(); ++i)
        FUZZ_CHECK(
            audit::severity_rank(findings[i - 1].rule.severity) <= audit::severity_rank(findings[i].rule.severity),
            "findings stay sorted by severity");
    for (const auto& f : findings) {
        if (f.origin != "llm") continue;
        FUZZ_CHECK(f.rule.setting_path.rfind(f.rule.application + ".", 0) == 0, "an added finding names its app");
        FUZZ_CHECK(audit::severity_rank(f.rule.severity) <= 3, "an added finding has a known severity");
        FUZZ_CHECK(!f.explanation.empty(), "an added finding is explained");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto text = fuzz::as_text(data, size);
    (void)fuzz::sample_stack();
    if (auto answer = audit::extract_json_object(text)) apply(*answer);
    // The same text as an answer given by structured outputs (already an object).
    json::error_code ec;
    auto v = json::parse(text, ec);
    if (!ec && v.is_object()) apply(v.as_object());
    return 0;
}
