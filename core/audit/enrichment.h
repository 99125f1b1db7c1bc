// Enrichment: the router's best provider explains and prioritises the rule
// findings and may add findings the rules missed. Its answer is untrusted
// input: parsed tolerantly, validated against a declared schema, repaired
// once, and otherwise dropped in favour of the rules-only result.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/engine.h"
#include "routing/router.h"
#include "store/store.h"

namespace autoarr::audit {

struct EnrichmentStats {
    // running | complete | partial | failed | skipped (docs/audit.md, "States")
    std::string state = "skipped";
    int total = 0;                 // rule findings to explain
    int explained = 0;             // rule findings that have an explanation (cached ones included)
    int cached = 0;                // of those, served by the explanation cache
    int added = 0;                 // additional findings kept
    int dropped_unknown_rule = 0;  // cited a rule id that did not fire (or is not in the batch)
    int dropped_unknown_path = 0;  // cited a setting path absent from the documents
    int dropped_malformed = 0;     // entries missing required fields
    bool repaired = false;         // some batch needed a repair request
    int batches = 0;               // batches planned for the model
    int batches_done = 0;          // answered and applied
    int batches_failed = 0;        // malformed twice, or failed: dropped on their own
    int model_calls = 0;           // requests sent (repairs and splits included)
    int truncated = 0;             // answers refused as cut prompts (REQUEST_TOO_LARGE)
    int64_t prompt_tokens = 0, completion_tokens = 0;
    int64_t estimated_prompt_tokens = 0;  // the host's estimate for what it sent
    int64_t context_window = 0;           // the window the batches were sized for
    std::string not_explained_reason;     // why some findings have no explanation
};

struct EnrichmentResult {
    bool applied = false;  // false: keep the rules-only result
    std::string provider;
    std::string model;
    std::string reason;  // why not applied
    std::vector<routing::Attempt> attempts;
    EnrichmentStats stats;
};

// After each batch: how far it is, and what is explained so far.
struct EnrichmentProgress {
    const EnrichmentStats& stats;
    const std::vector<Finding>& findings;
    std::vector<std::string> just_explained;  // rule ids this batch explained
    double tokens_per_s = 0;                  // generation rate of the last batch (0: unknown)
    std::string provider;
};

struct EnrichOptions {
    std::optional<std::string> provider;  // explicit choice
    std::chrono::milliseconds deadline{180000};
    store::Store* cache = nullptr;  // the explanation cache; nullptr: none (--no-cache)
    int cache_ttl_days = 30;
    plugin::CancelToken* cancel = nullptr;
    std::function<void(const EnrichmentProgress&)> on_progress;
};

// The version of what the model is asked (instructions, schema, evidence):
// part of the cache key, raised whenever the prompt changes meaning.
constexpr int kPromptVersion = 1;

// The JSON object inside a model's answer: bare, fenced (```json), or embedded in prose.
std::optional<boost::json::object> extract_json_object(std::string_view text);

// Applies a parsed answer to the findings (pure; tested without a model).
// Returns an error text when the answer does not follow the schema at all.
std::string apply_answer(const boost::json::object& answer, std::vector<Finding>& findings,
                         const boost::json::object& redacted_documents, EnrichmentStats& stats);

// Explains the rule findings through the router, in batches that fit the
// provider's context window, critical first, each with only its own
// evidence, behind one byte-identical instruction prefix; cached
// explanations are reused and new ones stored. `redacted_documents` are what
// the model's evidence is taken from; nothing unredacted is ever sent.
EnrichmentResult enrich(routing::Router& router, const RuleSet& rules, std::vector<Finding>& findings,
                        const boost::json::object& redacted_documents, const EnrichOptions& options);

// The fixed instructions every batch starts with (the prompt caches' prefix).
const std::string& instruction_prefix();

// Tokens a text costs at most, by the host's conservative estimate (one per
// 3 bytes of JSON, before calibration).
int64_t estimate_tokens(std::string_view text, double bytes_per_token = 3.0);

// The declared answer schema (sent with the request; docs/audit.md).
const boost::json::object& answer_schema();

}  // namespace autoarr::audit
