// The sample stack (examples/sample-stack) and the shipped rules, loaded
// once per fuzz target: the documents the fuzzed input meets.
#pragma once

#include "audit/audit_run.h"
#include "audit/redact.h"
#include "audit/rule_set.h"
#include "connectors/stack.h"
#include "fuzz_support.h"
#include "util/log.h"

namespace autoarr::fuzz {

struct SampleStack {
    audit::RuleSet rules;
    connectors::Stack stack;
    boost::json::object redacted;          // what a model may see
    std::vector<audit::Finding> findings;  // the rules' findings on it
};

inline const SampleStack& sample_stack() {
    static const SampleStack s = [] {
        log::set_threshold(log::Level::off);
        SampleStack out;
        out.rules = audit::load_rules(source_path("core/audit/rules/catalog.json"));
        out.stack = connectors::read_stack_dir(source_path("examples/sample-stack"));
        boost::json::value copy(out.stack.documents);
        audit::redact(copy);
        out.redacted = copy.as_object();
        out.findings = audit::evaluate_rules(out.rules, out.stack.documents, "2026-12-01");
        return out;
    }();
    return s;
}

}  // namespace autoarr::fuzz
