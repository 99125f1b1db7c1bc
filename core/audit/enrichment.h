// Enrichment: the router's best provider explains and prioritises the rule
// findings and may add findings the rules missed. Its answer is untrusted
// input: parsed tolerantly, validated against a declared schema, repaired
// once, and otherwise dropped in favour of the rules-only result.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audit/engine.h"
#include "routing/router.h"

namespace autoarr::audit {

struct EnrichmentStats {
    int explained = 0;             // rule findings that received an explanation
    int added = 0;                 // additional findings kept
    int dropped_unknown_rule = 0;  // cited a rule id that did not fire
    int dropped_unknown_path = 0;  // cited a setting path absent from the documents
    int dropped_malformed = 0;     // entries missing required fields
    bool repaired = false;         // the first answer needed a repair request
};

struct EnrichmentResult {
    bool applied = false;  // false: keep the rules-only result
    std::string provider;
    std::string reason;  // why not applied
    std::vector<routing::Attempt> attempts;
    EnrichmentStats stats;
};

// The JSON object inside a model's answer: bare, fenced (```json), or embedded in prose.
std::optional<boost::json::object> extract_json_object(std::string_view text);

// Applies a parsed answer to the findings (pure; tested without a model).
// Returns an error text when the answer does not follow the schema at all.
std::string apply_answer(const boost::json::object& answer, std::vector<Finding>& findings,
                         const boost::json::object& redacted_documents, EnrichmentStats& stats);

// The whole exchange through the router. `redacted_documents` are what the
// model sees; nothing unredacted is ever sent.
EnrichmentResult enrich(routing::Router& router, const std::optional<std::string>& provider,
                        std::vector<Finding>& findings, const boost::json::object& redacted_documents,
                        std::chrono::milliseconds deadline);

// The declared answer schema (sent with the request; docs/audit.md).
const boost::json::object& answer_schema();

}  // namespace autoarr::audit
