// A stack's API documents through the rule engine, as POST /api/v1/audits
// {"documents": ...} or a saved snapshot brings them: the shape checks
// (connectors/stack.cpp), the shipped rules, redaction, each finding's
// evidence and fingerprint, and the three report formats.
// Input: {"sabnzbd": {"get_config": {...}, "version": {...}}, "sonarr": {...}, "radarr": {...}}.
#include <boost/json.hpp>

#include "audit/evidence.h"
#include "sample_stack.h"

using namespace autoarr;
namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto& sample = fuzz::sample_stack();
    json::error_code ec;
    const json::value input = json::parse(fuzz::as_text(data, size), ec);
    if (ec || !input.is_object()) return 0;

    connectors::Stack stack;
    for (const auto& [app, eps] : input.get_object()) {
        const auto& known = connectors::endpoints_of(app);
        if (known.empty() || !eps.is_object()) continue;
        json::object docs;
        for (const auto& member : eps.get_object()) {
            const std::string_view ep = member.key();
            const json::value& doc = member.value();
            auto it = std::find_if(known.begin(), known.end(), [&](const auto& e) { return ep == e.name; });
            if (it == known.end() || !connectors::check_shape(app, *it, doc).empty()) continue;
            docs[ep] = doc;
        }
        stack.apps.push_back({std::string(app), "ok", connectors::app_version(app, docs), ""});
        stack.documents[app] = std::move(docs);
    }
    audit::AuditOptions options;
    options.enrich = false;
    options.today = "2026-12-01";
    auto report = audit::rules_audit(stack, sample.rules, nullptr, options);
    FUZZ_CHECK(report.score >= 0 && report.score <= 100, "the score is 0..100");
    const auto parsed = json::parse(audit::report_json(report), ec);
    FUZZ_CHECK(!ec && parsed.is_object(), "the report is a JSON object");
    (void)audit::report_markdown(report);
    (void)audit::report_text(report, false);
    for (const auto& f : report.findings) {
        for (const auto& r : sample.rules.rules) {
            if (r.entry.id != f.rule.id) continue;
            const auto evidence = audit::rule_evidence(r, report.redacted_documents);
            FUZZ_CHECK(json::serialize(evidence).size() <= 4 * 900, "evidence stays near its budget");
            (void)audit::evidence_fingerprint(f.rule.id, f.current, evidence);
            (void)audit::shorten_for_prompt(f.current, 6, 160);
            break;
        }
    }
    return 0;
}
