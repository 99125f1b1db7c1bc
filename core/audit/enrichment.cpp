#include "audit/enrichment.h"

#include <algorithm>
#include <cctype>
#include <deque>

#include "audit/evidence.h"
#include "util/strings.h"

namespace autoarr::audit {
namespace json = boost::json;

namespace {

using util::lower;
// Keys compared case-insensitively: models write "Rule_ID" as often as "rule_id".
const json::value* get(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key)) return v;
    for (const auto& kv : o)
        if (lower(kv.key()) == key) return &kv.value();
    return nullptr;
}

std::string get_string(const json::object& o, std::string_view key) {
    const auto* v = get(o, key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// "sonarr.config_host.authenticationMethod" or "sabnzbd.get_config.config.servers[0].ssl":
// true when that path exists in the documents.
bool path_exists(const json::object& docs, std::string path) {
    for (auto& c : path)
        if (c == '[' || c == ']') c = '.';
    const json::value* cur = nullptr;
    const json::object* obj = &docs;
    std::size_t at = 0;
    while (at <= path.size()) {
        auto dot = path.find('.', at);
        std::string seg = path.substr(at, dot == std::string::npos ? std::string::npos : dot - at);
        at = dot == std::string::npos ? path.size() + 1 : dot + 1;
        if (seg.empty()) continue;
        if (cur && cur->is_array()) {
            char* end = nullptr;
            long idx = std::strtol(seg.c_str(), &end, 10);
            if (*end || idx < 0 || static_cast<std::size_t>(idx) >= cur->get_array().size()) return false;
            cur = &cur->get_array()[idx];
        } else {
            if (!obj) return false;
            cur = obj->if_contains(seg);
            if (!cur) return false;
        }
        obj = cur->is_object() ? &cur->get_object() : nullptr;
    }
    return cur != nullptr;
}

}  // namespace

const json::object& answer_schema() {
    // Closed objects and no numeric bounds: the subset that both Ollama's
    // grammar and Claude's structured outputs accept (docs/audit.md).
    static const json::object schema = json::parse(R"({
      "type": "object",
      "additionalProperties": false,
      "required": ["findings"],
      "properties": {
        "findings": {"type": "array", "items": {"type": "object", "additionalProperties": false,
          "required": ["rule_id", "explanation", "impact", "priority"],
          "properties": {"rule_id": {"type": "string"}, "explanation": {"type": "string"},
                         "impact": {"type": "string"},
                         "priority": {"type": "integer", "description": "1 (fix first) to 5"}}}}
      }
    })")
                                           .as_object();
    return schema;
}

const std::string& instruction_prefix() {
    static const std::string text =
        "You are AutoArr's configuration auditor for SABnzbd, Sonarr and Radarr. You are given audit findings, one "
        "JSON object per line: rule_id, application, severity, setting, current (the value found), recommended, "
        "rationale, and evidence (the settings the rule read; secrets are redacted). For every finding, explain "
        "in plain words what is wrong and what it causes (explanation, at most two sentences), the concrete "
        "consequence for this user (impact, one sentence) and a priority from 1 (fix first) to 5. Use the "
        "rule_id exactly as given and explain only the findings you are given. Answer with one JSON object and "
        "nothing else, following this JSON schema:\n" +
        json::serialize(answer_schema());
    return text;
}

int64_t estimate_tokens(std::string_view text, double bytes_per_token) {
    return static_cast<int64_t>(static_cast<double>(text.size()) / bytes_per_token) + 1;
}

std::optional<json::object> extract_json_object(std::string_view text) {
    // An answer is a few KiB; scanning a huge one for balanced braces would be
    // quadratic, so only its first 256 KiB are looked at.
    text = text.substr(0, 256 * 1024);
    auto try_parse = [](std::string_view t) -> std::optional<json::object> {
        json::error_code ec;
        json::value v = json::parse(t, ec);
        if (!ec && v.is_object()) return v.get_object();
        return std::nullopt;
    };
    if (auto o = try_parse(text)) return o;
    // A ```json fence (or a bare ``` fence).
    if (auto f = text.find("```"); f != std::string_view::npos) {
        auto start = text.find('\n', f);
        auto end = start == std::string_view::npos ? start : text.find("```", start);
        if (start != std::string_view::npos && end != std::string_view::npos)
            if (auto o = try_parse(text.substr(start + 1, end - start - 1))) return o;
    }
    // Prose around it: every '{' that starts a balanced, parseable object.
    // A scan from each '{' may run to the end, so the scanning is bounded:
    // 256 KiB of '{' took a minute of CPU (found writing the model-answer
    // fuzz target). An answer needs more only with dozens of stray braces.
    std::size_t budget = 64 * text.size() + 4096;
    for (std::size_t open = text.find('{'); open != std::string_view::npos; open = text.find('{', open + 1)) {
        int depth = 0;
        bool in_string = false, escaped = false;
        for (std::size_t i = open; i < text.size(); ++i) {
            if (budget-- == 0) return std::nullopt;
            char c = text[i];
            if (in_string) {
                if (escaped)
                    escaped = false;
                else if (c == '\\')
                    escaped = true;
                else if (c == '"')
                    in_string = false;
                continue;
            }
            if (c == '"')
                in_string = true;
            else if (c == '{')
                ++depth;
            else if (c == '}' && --depth == 0) {
                const auto candidate = text.substr(open, i - open + 1);
                if (candidate.size() > budget) return std::nullopt;
                budget -= candidate.size();
                if (auto o = try_parse(candidate)) return o;
                break;
            }
        }
    }
    return std::nullopt;
}

std::string apply_answer(const json::object& answer, std::vector<Finding>& findings, const json::object& docs,
                         EnrichmentStats& stats) {
    const auto* list = get(answer, "findings");
    if (!list || !list->is_array()) return "the answer has no \"findings\" array";
    for (const auto& item : list->get_array()) {
        if (!item.is_object()) {
            ++stats.dropped_malformed;
            continue;
        }
        const auto& o = item.get_object();
        std::string id = get_string(o, "rule_id");
        std::string explanation = get_string(o, "explanation");
        auto it = std::find_if(findings.begin(), findings.end(),
                               [&](const Finding& f) { return lower(f.rule.id) == lower(id); });
        if (it == findings.end()) {
            ++stats.dropped_unknown_rule;  // a rule that did not fire: never invented into the report
            continue;
        }
        if (explanation.empty()) {
            ++stats.dropped_malformed;
            continue;
        }
        it->explanation = explanation;
        it->impact = get_string(o, "impact");
        ++stats.explained;
    }
    if (const auto* extra = get(answer, "additional_findings"); extra && extra->is_array()) {
        int n = 0;
        for (const auto& item : extra->get_array()) {
            if (!item.is_object()) {
                ++stats.dropped_malformed;
                continue;
            }
            const auto& o = item.get_object();
            std::string app = lower(get_string(o, "application"));
            std::string path = get_string(o, "setting_path");
            std::string severity = lower(get_string(o, "severity"));
            if ((app != "sabnzbd" && app != "sonarr" && app != "radarr") || path.empty() ||
                severity_rank(severity) > 3 || get_string(o, "explanation").empty()) {
                ++stats.dropped_malformed;
                continue;
            }
            std::string full = path.rfind(app + ".", 0) == 0 ? path : app + "." + path;
            if (!path_exists(docs, full)) {
                ++stats.dropped_unknown_path;  // no invented settings
                continue;
            }
            Finding f;
            f.origin = "llm";
            f.rule.id = "LLM-" + std::to_string(++n);
            f.rule.application = app;
            f.rule.setting_path = full;
            f.rule.severity = severity;
            f.rule.category = "advice";
            f.rule.recommended = get_string(o, "recommended");
            f.rule.source = "language model";
            f.explanation = get_string(o, "explanation");
            f.impact = get_string(o, "impact");
            if (const auto* cur = get(o, "current")) f.current = *cur;
            findings.push_back(std::move(f));
            ++stats.added;
        }
    }
    sort_by_severity(findings);
    return {};
}

namespace {

// Budget per finding of the answer, in tokens: two sentences, one sentence,
// a priority and the JSON around them. A batch's max_tokens is bounded by it.
constexpr int64_t kAnswerTokensPerFinding = 110;
constexpr int64_t kAnswerTokensFixed = 48;
// Tokens each message costs in a chat template, and a margin for what the
// estimate cannot see (the template's own words).
constexpr int64_t kPerMessageTokens = 8;
constexpr int64_t kSafetyTokens = 64;
// The first batch is small, so the first explanation arrives early; the
// rest carry up to kMaxBatch findings (one answer stays short enough to
// repair, and a failure costs little).
constexpr std::size_t kFirstBatch = 3;
constexpr std::size_t kMaxBatch = 8;
// A window we can always assume (Ollama's own default below 24 GiB of VRAM).
constexpr int64_t kUnknownWindow = 4096;

using Clock = std::chrono::steady_clock;

struct Item {
    std::size_t index;  // into findings
    std::string line;   // its line in the prompt
    std::string fingerprint;
};

std::string finding_line(const Finding& f, const json::object& evidence) {
    return json::serialize(json::object{{"rule_id", f.rule.id},
                                        {"application", f.rule.application},
                                        {"severity", f.rule.severity},
                                        {"setting", f.rule.setting_path},
                                        {"current", shorten_for_prompt(f.current, 6, 160)},
                                        {"recommended", f.rule.recommended},
                                        {"rationale", f.rule.rationale},
                                        {"evidence", evidence}});
}

const Rule* rule_by_id(const RuleSet& rules, const std::string& id) {
    for (const auto& r : rules.rules)
        if (r.entry.id == id) return &r;
    return nullptr;
}

// The provider the batches are sized for: the explicit choice, else the
// first usable one in the routing order.
std::optional<routing::ProviderView> target_provider(const routing::Router& router,
                                                     const std::optional<std::string>& explicit_choice) {
    for (const auto& v : router.providers()) {
        if (explicit_choice && v.id != *explicit_choice) continue;
        if (v.state == routing::ProviderState::healthy || v.state == routing::ProviderState::degraded) return v;
    }
    return std::nullopt;
}

// What a provider answered (autoarr.chat_response/1), read once.
struct Reply {
    std::string content;
    std::string model;
    int64_t prompt_tokens = 0, completion_tokens = 0;
};

Reply read_reply(const routing::RouteResult& r) {
    Reply out;
    json::error_code ec;
    json::value v = json::parse(r.response_json, ec);
    if (ec || !v.is_object()) return out;
    const auto& o = v.get_object();
    if (const auto* c = o.if_contains("content"); c && c->is_string()) out.content = std::string(c->get_string());
    if (const auto* m = o.if_contains("model"); m && m->is_string()) out.model = std::string(m->get_string());
    if (const auto* u = o.if_contains("usage"); u && u->is_object()) {
        if (const auto* p = u->get_object().if_contains("prompt_tokens"); p && p->is_int64())
            out.prompt_tokens = p->get_int64();
        if (const auto* c = u->get_object().if_contains("completion_tokens"); c && c->is_int64())
            out.completion_tokens = c->get_int64();
    }
    return out;
}

// Applies an answer's JSON to the batch; the reason it cannot be used, or "".
std::string apply_batch_answer(const std::string& content, std::vector<Finding>& batch, const json::object& docs,
                               EnrichmentStats& stats) {
    auto answer = extract_json_object(content);
    if (!answer) return "the answer contains no JSON object";
    // apply_answer counts what it applies; the caller counts each finding
    // once, so only what was dropped is taken from here.
    EnrichmentStats local;
    std::string error = apply_answer(*answer, batch, docs, local);
    if (error.empty() && local.explained == 0 && !batch.empty())
        error = "the answer explains none of the findings it was given";
    stats.dropped_unknown_rule += local.dropped_unknown_rule;
    stats.dropped_unknown_path += local.dropped_unknown_path;
    stats.dropped_malformed += local.dropped_malformed;
    return error;
}

}  // namespace

EnrichmentResult enrich(routing::Router& router, const RuleSet& rules, std::vector<Finding>& findings,
                        const json::object& docs, const EnrichOptions& options) {
    EnrichmentResult result;
    EnrichmentStats& stats = result.stats;
    const auto start = Clock::now();
    const auto deadline = start + options.deadline;
    for (const auto& f : findings)
        if (f.origin == "rules") ++stats.total;
    stats.state = "running";

    const auto target = target_provider(router, options.provider);
    const std::string provider = target ? target->id : options.provider.value_or("");
    const std::string model = target ? target->model : std::string();
    stats.context_window = target && target->context_window > 0 ? target->context_window : kUnknownWindow;

    // Evidence for every rule finding, and what the cache already knows.
    std::vector<Item> todo;
    for (std::size_t i = 0; i < findings.size(); ++i) {
        Finding& f = findings[i];
        if (f.origin != "rules") continue;
        const Rule* rule = rule_by_id(rules, f.rule.id);
        json::object evidence = rule ? rule_evidence(*rule, docs) : json::object{};
        Item item{i, finding_line(f, evidence), evidence_fingerprint(f.rule.id, f.current, evidence)};
        if (options.cache && !provider.empty() && !model.empty()) {
            try {
                if (auto hit = options.cache->cached_explanation(
                        {f.rule.id, item.fingerprint, provider, model, kPromptVersion}, options.cache_ttl_days)) {
                    f.explanation = hit->explanation;
                    f.impact = hit->impact;
                    ++stats.cached;
                    ++stats.explained;
                    continue;
                }
            } catch (const std::exception& e) {
                result.reason = std::string("the explanation cache cannot be read: ") + e.what();
            }
        }
        todo.push_back(std::move(item));
    }
    if (stats.cached > 0) {
        result.applied = true;
        result.provider = provider;
        result.model = model;
    }
    if (options.on_progress && stats.cached > 0) options.on_progress({stats, findings, {}, 0, provider});

    // Batches, critical first (findings are sorted by severity), each sized
    // so that prompt + answer fit the window by a conservative estimate.
    double bytes_per_token = 3.0;
    const std::string& prefix = instruction_prefix();
    auto batch_fits = [&](int64_t line_tokens, std::size_t n) {
        const int64_t prompt = estimate_tokens(prefix, bytes_per_token) + line_tokens + 2 * kPerMessageTokens + 4;
        const int64_t answer = kAnswerTokensFixed + kAnswerTokensPerFinding * static_cast<int64_t>(n);
        return prompt + answer + kSafetyTokens <= stats.context_window;
    };
    // Plans batches over `items` (indices into todo, in order) with the
    // estimate as it stands; run again on what is left whenever the
    // estimate is raised.
    auto plan = [&](const std::vector<std::size_t>& items, bool first) {
        std::deque<std::vector<std::size_t>> out;
        for (std::size_t at = 0; at < items.size();) {
            std::vector<std::size_t> b;
            int64_t tokens = 0;
            const std::size_t cap = first && out.empty() ? kFirstBatch : kMaxBatch;
            while (at < items.size() && b.size() < cap) {
                const std::size_t i = items[at];
                const int64_t t = estimate_tokens(todo[i].line, bytes_per_token) + 1;
                if (!b.empty() && !batch_fits(tokens + t, b.size() + 1)) break;
                // A batch never mixes severities: the last critical finding is
                // not held back by the high ones that would share its answer.
                if (!b.empty() &&
                    findings[todo[i].index].rule.severity != findings[todo[b.front()].index].rule.severity)
                    break;
                b.push_back(i);
                ++at;
                tokens += t;
            }
            out.push_back(std::move(b));
        }
        return out;
    };
    std::vector<std::size_t> all(todo.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    std::deque<std::vector<std::size_t>> queue = plan(all, true);
    stats.batches = static_cast<int>(queue.size());
    // What is still queued, planned again with the raised estimate (the batch
    // in progress counts as one).
    auto replan_rest = [&] {
        std::vector<std::size_t> rest;
        for (const auto& q : queue) rest.insert(rest.end(), q.begin(), q.end());
        queue = plan(rest, false);
        stats.batches = stats.batches_done + stats.batches_failed + 1 + static_cast<int>(queue.size());
    };

    std::string last_error;
    while (!queue.empty()) {
        std::vector<std::size_t> batch = std::move(queue.front());
        queue.pop_front();
        const auto now = Clock::now();
        if (now >= deadline - std::chrono::seconds(1)) {
            stats.not_explained_reason =
                "the enrichment deadline (" + std::to_string(options.deadline.count() / 1000) + " s) passed";
            break;
        }
        if (options.cancel && options.cancel->cancelled()) {
            stats.not_explained_reason = "the enrichment was cancelled";
            break;
        }
        if (batch.size() == 1 && !batch_fits(estimate_tokens(todo[batch[0]].line, bytes_per_token) + 1, 1)) {
            // Even alone, with its answer, this finding does not fit the window: sending it
            // would only be cut. Dropped on its own, and said why.
            ++stats.batches_failed;
            last_error = findings[todo[batch[0]].index].rule.id + " does not fit a context window of " +
                         std::to_string(stats.context_window) + " tokens";
            continue;
        }
        std::string user = "Findings:\n";
        for (auto i : batch) user += todo[i].line + "\n";
        const int64_t max_tokens = kAnswerTokensFixed + kAnswerTokensPerFinding * static_cast<int64_t>(batch.size());
        const int64_t estimate =
            estimate_tokens(prefix, bytes_per_token) + estimate_tokens(user, bytes_per_token) + 2 * kPerMessageTokens;
        json::array messages{json::object{{"role", "system"}, {"content", prefix}, {"cache", true}},
                             json::object{{"role", "user"}, {"content", user}}};
        std::vector<Finding> trial;
        for (auto i : batch) trial.push_back(findings[todo[i].index]);
        bool done = false, too_large = false, stop_all = false;
        std::string model_used;
        for (int round = 0; round < 2 && !done; ++round) {
            routing::RouteRequest req;
            req.provider = provider.empty() ? options.provider : std::optional<std::string>(provider);
            req.deadline = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            req.cancel = options.cancel;
            req.format_is_hint = true;
            req.request_json = json::serialize(json::object{{"messages", messages},
                                                            {"format", answer_schema()},
                                                            {"temperature", 0.2},
                                                            {"max_tokens", max_tokens + (round > 0 ? 32 : 0)}});
            const auto call_start = Clock::now();
            routing::RouteResult r = router.complete(req);
            ++stats.model_calls;
            stats.estimated_prompt_tokens += estimate;
            for (const auto& at : r.attempts)  // each distinct outcome once: batches repeat them
                if (std::none_of(result.attempts.begin(), result.attempts.end(), [&](const routing::Attempt& x) {
                        return x.provider == at.provider && x.outcome == at.outcome && x.reason == at.reason;
                    }))
                    result.attempts.push_back(at);
            if (!r.status.ok()) {
                last_error = r.status.message;
                if (r.status.code == AUTOARR_ERR_REQUEST_TOO_LARGE) {
                    ++stats.truncated;
                    too_large = true;
                }
                // Out of time, or told to stop: no later batch can do better.
                stop_all = r.status.code == AUTOARR_ERR_DEADLINE_EXCEEDED || r.status.code == AUTOARR_ERR_CANCELLED;
                if (r.status.code == AUTOARR_ERR_DEADLINE_EXCEEDED)
                    stats.not_explained_reason = "the enrichment deadline (" +
                                                 std::to_string(options.deadline.count() / 1000) +
                                                 " s) passed during a model call";
                else if (stop_all)
                    stats.not_explained_reason = "the enrichment was cancelled";
                break;
            }
            result.provider = r.provider;
            const Reply reply = read_reply(r);
            stats.prompt_tokens += reply.prompt_tokens;
            stats.completion_tokens += reply.completion_tokens;
            // Calibrate: a provider that counts more tokens than estimated
            // makes every later estimate larger (never smaller: a cache hit
            // may report only part of a prompt).
            if (round == 0 && reply.prompt_tokens > estimate) {  // a repair's prompt is larger: only the first counts
                bytes_per_token = std::max(1.0, bytes_per_token * static_cast<double>(estimate) /
                                                    static_cast<double>(reply.prompt_tokens) * 0.95);
                replan_rest();
            }
            model_used = reply.model;
            const std::string answer_error = apply_batch_answer(reply.content, trial, docs, stats);
            if (answer_error.empty()) {
                done = true;
                stats.repaired = stats.repaired || round > 0;
                const double secs = std::chrono::duration<double>(Clock::now() - call_start).count();
                std::vector<std::string> explained_now;
                std::vector<std::pair<store::ExplanationKey, store::CachedExplanation>> to_cache;
                for (std::size_t k = 0; k < batch.size(); ++k) {
                    Finding& dst = findings[todo[batch[k]].index];
                    const Finding* src = nullptr;
                    for (const auto& t : trial)
                        if (t.origin == "rules" && t.rule.id == dst.rule.id) src = &t;
                    if (!src || src->explanation.empty()) continue;
                    if (dst.explanation.empty()) ++stats.explained;
                    dst.explanation = src->explanation;
                    dst.impact = src->impact;
                    explained_now.push_back(dst.rule.id);
                    // Written under the name it is read by: the configured model
                    // when the planned provider answered (Claude answers with a
                    // dated name for an alias).
                    const std::string& cache_model = r.provider == provider && !model.empty() ? model : model_used;
                    to_cache.push_back(
                        {{dst.rule.id, todo[batch[k]].fingerprint, r.provider, cache_model, kPromptVersion},
                         {dst.explanation, dst.impact}});
                }
                if (options.cache && !to_cache.empty()) {
                    try {
                        options.cache->put_explanations(to_cache);
                    } catch (const std::exception& e) {
                        result.reason = std::string("the explanation cache cannot be written: ") + e.what();
                    }
                }
                for (auto& t : trial)  // findings the model added about settings that exist, once each
                    if (t.origin == "llm" && std::none_of(findings.begin(), findings.end(), [&](const Finding& f) {
                            return f.origin == "llm" && f.rule.setting_path == t.rule.setting_path;
                        })) {
                        findings.push_back(std::move(t));
                        ++stats.added;
                    }
                ++stats.batches_done;
                result.applied = result.applied || !explained_now.empty();
                if (result.model.empty()) result.model = model_used;
                if (options.on_progress)
                    options.on_progress({stats, findings, std::move(explained_now),
                                         secs > 0 && reply.completion_tokens > 0 ? reply.completion_tokens / secs : 0,
                                         r.provider});
                break;
            }
            last_error = answer_error;
            // One repair, quoting the answer and what is wrong with it, as far
            // as the window leaves room: a chat template would otherwise drop
            // the findings (the oldest message) to fit it.
            const int64_t room = stats.context_window - estimate - (max_tokens + 32) - kSafetyTokens - 80;
            const auto quote_bytes =
                static_cast<std::size_t>(static_cast<double>(std::max<int64_t>(0, room)) * bytes_per_token);
            if (quote_bytes < 200) break;
            messages.push_back(
                json::object{{"role", "assistant"},
                             {"content", utf8_prefix(reply.content, std::min<std::size_t>(quote_bytes, 4000))}});
            messages.push_back(
                json::object{{"role", "user"},
                             {"content", "That answer cannot be used: " + last_error +
                                             ". Reply with only the corrected JSON object following the schema."}});
        }
        if (done) continue;
        if (too_large && batch.size() > 1) {
            // The provider saw a cut prompt: estimate more tightly and try the halves.
            bytes_per_token = std::max(1.0, bytes_per_token * 0.75);
            std::vector<std::size_t> first(batch.begin(), batch.begin() + batch.size() / 2),
                second(batch.begin() + batch.size() / 2, batch.end());
            replan_rest();
            queue.push_front(std::move(second));
            queue.push_front(std::move(first));
            stats.batches = stats.batches_done + stats.batches_failed + static_cast<int>(queue.size());
            continue;
        }
        ++stats.batches_failed;  // dropped on its own: the other batches go on
        if (stop_all) break;
    }
    // Renumber model-added findings, if any, and keep severity order.
    int n = 0;
    for (auto& f : findings)
        if (f.origin == "llm") f.rule.id = "LLM-" + std::to_string(++n);
    if (stats.added > 0) sort_by_severity(findings);

    if (stats.explained == stats.total)
        stats.state = "complete";
    else if (stats.explained > 0)
        stats.state = "partial";
    else
        stats.state = "failed";
    if (stats.explained < stats.total && stats.not_explained_reason.empty())
        stats.not_explained_reason = std::to_string(stats.batches_failed) + " of " + std::to_string(stats.batches) +
                                     " batches failed" +
                                     (last_error.empty() ? std::string() : " (last: " + last_error + ")");
    if (!result.applied)
        result.reason =
            stats.total == 0 ? "nothing to explain" : "no explanation could be had: " + stats.not_explained_reason;
    return result;
}

}  // namespace autoarr::audit
