#include "support/ollama_sim.h"

#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <thread>

namespace autoarr::test {
namespace json = boost::json;

std::vector<std::size_t> sim_token_starts(std::string_view t) {
    std::vector<std::size_t> starts;
    auto cls = [](unsigned char c) {
        if (std::isalpha(c) || c >= 0x80) return 0;  // letters (UTF-8 bytes count as letters)
        if (std::isdigit(c)) return 1;
        if (std::isspace(c)) return 2;
        return 3;
    };
    std::size_t i = 0;
    while (i < t.size()) {
        const int k = cls(static_cast<unsigned char>(t[i]));
        std::size_t j = i;
        while (j < t.size() && cls(static_cast<unsigned char>(t[j])) == k) ++j;
        const std::size_t len = j - i;
        const std::size_t per = k == 0 ? 4 : k == 1 ? 3 : k == 3 ? 2 : len;
        if (k == 2 && len == 1) {
            i = j;  // a single space joins the next word
            continue;
        }
        for (std::size_t at = i; at < j; at += per) starts.push_back(at);
        i = j;
    }
    return starts;
}

namespace {

std::string template_prompt(const json::array& messages) {
    std::string p;
    for (const auto& m : messages) {
        if (!m.is_object()) continue;
        const auto* role = m.get_object().if_contains("role");
        const auto* content = m.get_object().if_contains("content");
        p += "<|im_start|>";
        p += role && role->is_string() ? std::string(role->get_string()) : "user";
        p += "\n";
        if (content && content->is_string()) p += content->get_string();
        p += "<|im_end|>\n";
    }
    return p + "<|im_start|>assistant\n";
}

// The rule ids the model can see in the user messages of what it read (a
// repair request carries the batch's findings in its first message).
std::set<std::string> visible_rule_ids(std::string_view visible) {
    const auto first_user = visible.find("<|im_start|>user");
    if (first_user == std::string_view::npos) return {};
    return sim_rule_ids_in(visible.substr(first_user));
}

std::string explanation_for(const std::string& id) {
    return "The setting behind " + id +
           " differs from the recommended value, so the stack keeps the weakness the rationale describes until "
           "it is changed; apply the recommendation and run the audit again to confirm.";
}

// A plain chat (no findings, no JSON format asked): a short answer that
// names what it was asked, as a model would.
std::string chat_answer(const json::array& messages) {
    std::string question;
    for (const auto& m : messages)
        if (m.is_object() && m.get_object().contains("content") && m.at("content").is_string() &&
            m.get_object().contains("role") && m.at("role") == "user")
            question = std::string(m.at("content").get_string());
    if (question.size() > 200) question = question.substr(0, 200);
    return "You asked: \"" + question +
           "\". Keep each application's API key secret, put its web interface behind a password, and give "
           "SABnzbd, Sonarr and Radarr the same view of the download folders.";
}

}  // namespace

std::set<std::string> sim_rule_ids_in(std::string_view text) {
    std::set<std::string> ids;
    const std::string_view key = "\"rule_id\":\"";
    for (auto at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
        const auto start = at + key.size();
        const auto end = text.find('"', start);
        if (end == std::string_view::npos) break;
        ids.emplace(text.substr(start, end - start));
    }
    return ids;
}

std::string sim_explanations_answer(const std::set<std::string>& rule_ids) {
    json::array findings;
    int priority = 1;
    for (const auto& id : rule_ids)
        findings.push_back(json::object{{"rule_id", id},
                                        {"explanation", explanation_for(id)},
                                        {"impact", "Until it is changed the stack stays exposed to this."},
                                        {"priority", std::min(5, priority++)}});
    return json::serialize(json::object{{"findings", std::move(findings)}});
}

OllamaSim::OllamaSim(OllamaSimProfile profile) : profile_(std::move(profile)) {
    server_.on("GET", "/api/tags", [this](const ReceivedRequest&) {
        FixtureResponse r;
        r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
        r.body = json::serialize(
            json::object{{"models", json::array{json::object{{"name", profile_.model}, {"model", profile_.model}}}}});
        return r;
    });
    server_.on("POST", "/api/show", [this](const ReceivedRequest& req) {
        FixtureResponse r;
        r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
        json::error_code ec;
        auto v = json::parse(req.body, ec);
        const json::value* m = !ec && v.is_object() ? v.get_object().if_contains("model") : nullptr;
        if (!m || !m->is_string() || m->get_string() != profile_.model) {
            r.status = 404;
            r.body = R"({"error":"model not found"})";
            return r;
        }
        json::object info{{"general.architecture", profile_.architecture}};
        if (profile_.report_context_length)
            info[profile_.architecture + ".context_length"] = profile_.model_max_context;
        json::object body{{"details", json::object{{"family", profile_.architecture}}}};
        if (profile_.report_context_length) body["model_info"] = std::move(info);
        r.body = json::serialize(body);
        return r;
    });
    server_.on("POST", "/api/chat", [this](const ReceivedRequest& req) { return chat(req); });
}

std::vector<SimChat> OllamaSim::chats() const {
    std::lock_guard lock(record_mutex_);
    return chats_;
}

int OllamaSim::chats_started() const {
    std::lock_guard lock(record_mutex_);
    return started_;
}

int OllamaSim::max_parallel() const {
    std::lock_guard lock(record_mutex_);
    return max_parallel_;
}

void OllamaSim::answer_garbage_for(const std::string& rule_id) {
    std::lock_guard lock(record_mutex_);
    garbage_for_.insert(rule_id);
}

void OllamaSim::hang_from(int n) {
    std::lock_guard lock(record_mutex_);
    hang_from_ = n;
}

void OllamaSim::sleep_for_tokens(double tokens, double rate) const {
    if (rate <= 0 || tokens <= 0) return;
    std::this_thread::sleep_for(std::chrono::duration<double>(tokens / rate / profile_.time_scale));
}

FixtureResponse OllamaSim::chat(const ReceivedRequest& req) {
    FixtureResponse r;
    r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
    json::error_code ec;
    json::value v = json::parse(req.body, ec);
    if (ec || !v.is_object()) {
        r.status = 400;
        r.body = R"({"error":"invalid character in request body"})";
        return r;
    }
    const json::object& o = v.get_object();
    const auto* model = o.if_contains("model");
    if (!model || !model->is_string() || model->get_string() != profile_.model) {
        r.status = 404;
        r.body = R"({"error":"model not found, try pulling it first"})";
        return r;
    }
    const auto* messages = o.if_contains("messages");
    if (!messages || !messages->is_array()) {
        r.status = 400;
        r.body = R"({"error":"messages must be an array"})";
        return r;
    }
    SimChat rec;
    rec.request_body = req.body;
    if (const auto* t = o.if_contains("think"); t && t->is_bool() && !t->get_bool()) rec.think_false = true;
    int64_t num_ctx = profile_.server_default_num_ctx, num_predict = -1;
    if (const auto* opts = o.if_contains("options"); opts && opts->is_object()) {
        if (const auto* n = opts->get_object().if_contains("num_ctx"); n && n->is_int64()) {
            num_ctx = n->get_int64();
            rec.num_ctx_sent = true;
        }
        if (const auto* n = opts->get_object().if_contains("num_predict"); n && n->is_int64())
            num_predict = n->get_int64();
    }
    num_ctx = std::min(num_ctx, profile_.model_max_context);  // the runner never exceeds the trained context
    rec.num_ctx = num_ctx;
    bool hang = false;
    {
        std::lock_guard lock(record_mutex_);
        ++started_;
        hang = hang_from_ > 0 && started_ >= hang_from_;
    }
    if (hang) {
        r.hang = true;
        return r;
    }

    std::lock_guard model_lock(model_mutex_);  // one request at a time, like OLLAMA_NUM_PARALLEL=1
    {
        std::lock_guard lock(record_mutex_);
        max_parallel_ = std::max(max_parallel_, ++in_progress_);
    }
    if (loaded_num_ctx_ != num_ctx) {  // a new window reloads the model and empties the cache
        rec.reloaded = true;
        loaded_num_ctx_ = num_ctx;
        kv_cache_.clear();
        if (profile_.reload_s > 0)
            std::this_thread::sleep_for(std::chrono::duration<double>(profile_.reload_s / profile_.time_scale));
    }

    const std::string prompt = template_prompt(messages->get_array());
    const auto starts = sim_token_starts(prompt);
    rec.prompt_tokens = static_cast<int64_t>(starts.size());
    std::string visible = prompt;
    if (rec.prompt_tokens > num_ctx &&
        num_ctx > profile_.num_keep) {  // the runner's cut: num_keep from the start, the rest from the end
        rec.truncated = true;
        const auto keep = static_cast<std::size_t>(std::max<int64_t>(0, profile_.num_keep));
        const std::size_t head_end = keep < starts.size() ? starts[keep] : prompt.size();
        const std::size_t tail_start = starts[starts.size() - static_cast<std::size_t>(num_ctx) + keep];
        visible = prompt.substr(0, head_end) + prompt.substr(tail_start);
    }
    const auto visible_starts = sim_token_starts(visible);
    rec.evaluated_tokens = static_cast<int64_t>(visible_starts.size());
    std::size_t common = 0;
    while (common < kv_cache_.size() && common < visible.size() && kv_cache_[common] == visible[common]) ++common;
    for (auto s : visible_starts)
        if (s < common) ++rec.cached_tokens;
    // The last token is always evaluated again (it produces the first logits).
    rec.cached_tokens = std::min(rec.cached_tokens, std::max<int64_t>(0, rec.evaluated_tokens - 1));
    kv_cache_ = visible;
    sleep_for_tokens(static_cast<double>(rec.evaluated_tokens - rec.cached_tokens), profile_.prompt_tokens_per_s);

    rec.seen = visible_rule_ids(visible);
    bool garbage = false;
    {
        std::lock_guard lock(record_mutex_);
        for (const auto& id : rec.seen) garbage = garbage || garbage_for_.contains(id);
    }
    std::string content;
    const bool structured = o.contains("format");  // enrichment asks for JSON; a chat does not
    if (!structured && rec.seen.empty()) {
        content = chat_answer(messages->get_array());
    } else if (garbage) {
        content = "Sure! Here are the explanations: {findings: [rule SAB oops";
    } else {
        content = sim_explanations_answer(rec.seen);
    }
    const auto answer_starts = sim_token_starts(content);
    std::string done_reason = "stop";
    if (num_predict > 0 && static_cast<int64_t>(answer_starts.size()) > num_predict) {
        content = content.substr(0, answer_starts[static_cast<std::size_t>(num_predict)]);
        done_reason = "length";
    }
    rec.generated_tokens = static_cast<int64_t>(sim_token_starts(content).size());
    const auto* stream = o.if_contains("stream");
    const bool streamed = !stream || !stream->is_bool() || stream->get_bool();  // Ollama streams unless told not to
    // A streamed answer is paced token by token as it is written; a whole one is held until generated.
    if (!streamed) sleep_for_tokens(static_cast<double>(rec.generated_tokens), profile_.generated_tokens_per_s);

    const std::string answered = profile_.answered_model.empty() ? profile_.model : profile_.answered_model;
    json::object out{{"model", answered},
                     {"created_at", "2026-12-01T00:00:00Z"},
                     {"message", json::object{{"role", "assistant"}, {"content", content}}},
                     {"done", true},
                     {"done_reason", done_reason}};
    const int64_t fresh = rec.evaluated_tokens - rec.cached_tokens;
    switch (profile_.counting) {
        case OllamaSimProfile::Counting::whole_prompt:
            out["prompt_eval_count"] = rec.evaluated_tokens;
            if (rec.cached_tokens > 0) out["prompt_eval_cached_count"] = rec.cached_tokens;
            break;
        case OllamaSimProfile::Counting::new_tokens_only:
            out["prompt_eval_count"] = fresh;
            break;
        case OllamaSimProfile::Counting::omitted_on_cache_hit:
            if (fresh > 1) out["prompt_eval_count"] = fresh;
            break;
    }
    out["eval_count"] = rec.generated_tokens;
    if (streamed) {  // one NDJSON line per token, each its own write, then the closing line
        const auto tokens = sim_token_starts(content);
        r.headers = {{"Content-Type", "application/x-ndjson"}};
        r.chunked = true;
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            const std::size_t from = i == 0 ? 0 : tokens[i];
            const std::size_t to = i + 1 < tokens.size() ? tokens[i + 1] : content.size();
            json::object piece{
                {"model", answered},
                {"created_at", "2026-12-01T00:00:00Z"},
                {"message", json::object{{"role", "assistant"}, {"content", content.substr(from, to - from)}}},
                {"done", false}};
            const std::string line = json::serialize(piece) + "\n";
            r.pieces.push_back(line.size());
            r.body += line;
        }
        out["message"] = json::object{{"role", "assistant"}, {"content", ""}};
        const std::string last = json::serialize(out) + "\n";
        r.pieces.push_back(last.size());
        r.body += last;
        const double rate =
            profile_.streamed_tokens_per_s > 0 ? profile_.streamed_tokens_per_s : profile_.generated_tokens_per_s;
        if (rate > 0)
            r.piece_delay = std::chrono::milliseconds(static_cast<int64_t>(1000 / rate / profile_.time_scale));
    } else {
        r.body = json::serialize(out);
    }
    {
        std::lock_guard lock(record_mutex_);
        --in_progress_;
        chats_.push_back(std::move(rec));
    }
    return r;
}

}  // namespace autoarr::test
