#include "support/openai_sim.h"

#include <boost/json.hpp>
#include <thread>

#include "support/ollama_sim.h"  // sim_count_tokens: the same tokenizer density

namespace autoarr::test {
namespace json = boost::json;

namespace {

std::string str(const json::object& o, const char* k) {
    const auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The answer's words: what the model "writes", one token each.
std::vector<std::string> words_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t j = text.find(' ', i + 1);
        if (j == std::string::npos) j = text.size();
        out.push_back(text.substr(i, j - i));
        i = j;
    }
    return out;
}

std::string sse(const json::value& v) {
    return "data: " + json::serialize(v) + "\n\n";
}

}  // namespace

OpenAiSim::OpenAiSim(OpenAiSimProfile profile) : profile_(std::move(profile)) {
    const bool llama = profile_.flavor == OpenAiSimProfile::Flavor::llama_cpp;
    const bool vllm = profile_.flavor == OpenAiSimProfile::Flavor::vllm;
    server_.on("GET", "/v1/models", [this, llama, vllm](const ReceivedRequest& r) {
        if (profile_.flavor != OpenAiSimProfile::Flavor::openrouter && !authorised(r))
            return error(401, "Invalid API Key", "authentication_error");
        json::object m{{"id", profile_.model}, {"object", "model"}, {"created", 1733000000}};
        if (llama) {
            m["owned_by"] = "llamacpp";
            m["meta"] = json::object{{"n_ctx_train", 32768}};  // the training window, not -c
        } else if (vllm) {
            m["owned_by"] = "vllm";
            m["max_model_len"] = profile_.context_window;
        } else {
            m["context_length"] = profile_.context_window;
        }
        json::array data{m};
        if (profile_.flavor == OpenAiSimProfile::Flavor::openrouter)
            data.push_back(json::object{{"id", "openai/gpt-4o-mini"}, {"object", "model"}, {"context_length", 128000}});
        FixtureResponse res;
        res.headers = {{"Content-Type", "application/json"}};
        res.body = json::serialize(json::object{{"object", "list"}, {"data", data}});
        return res;
    });
    if (llama)
        server_.on("GET", "/props", [this](const ReceivedRequest&) {
            FixtureResponse res;
            res.headers = {{"Content-Type", "application/json"}};
            res.body = json::serialize(json::object{
                {"default_generation_settings", json::object{{"n_ctx", profile_.context_window}}}, {"total_slots", 1}});
            return res;
        });
    if (profile_.flavor == OpenAiSimProfile::Flavor::openrouter)
        server_.on("GET", "/v1/key", [this](const ReceivedRequest& r) {
            if (!authorised(r)) return error(401, "No auth credentials found", "");
            FixtureResponse res;
            res.headers = {{"Content-Type", "application/json"}};
            res.body = R"({"data":{"label":"sk-or-v1-abc...xyz","limit":null,"usage":0.25,"is_free_tier":false}})";
            return res;
        });
    server_.on("POST", "/v1/chat/completions", [this](const ReceivedRequest& r) { return chat(r); });
}

bool OpenAiSim::authorised(const ReceivedRequest& r) const {
    const bool needs = !profile_.api_key.empty() || profile_.flavor == OpenAiSimProfile::Flavor::openrouter;
    if (!needs) return true;
    auto it = r.headers.find("authorization");
    return it != r.headers.end() && it->second == "Bearer " + profile_.api_key && !profile_.api_key.empty();
}

FixtureResponse OpenAiSim::error(int status, const std::string& message, const std::string& type) const {
    FixtureResponse res;
    res.status = status;
    res.headers = {{"Content-Type", "application/json"}};
    if (profile_.flavor == OpenAiSimProfile::Flavor::vllm) res.headers.emplace_back("x-request-id", "vllm-req-9f2c");
    switch (profile_.flavor) {
        case OpenAiSimProfile::Flavor::vllm:  // top level, as vLLM's ErrorResponse
            res.body = json::serialize(json::object{
                {"object", "error"}, {"message", message}, {"type", type}, {"param", nullptr}, {"code", status}});
            break;
        case OpenAiSimProfile::Flavor::llama_cpp:
            res.body = json::serialize(
                json::object{{"error", json::object{{"code", status}, {"message", message}, {"type", type}}}});
            break;
        case OpenAiSimProfile::Flavor::openrouter:
            res.body = json::serialize(json::object{{"error", json::object{{"code", status}, {"message", message}}}});
            break;
    }
    return res;
}

std::vector<OpenAiSimChat> OpenAiSim::chats() const {
    std::lock_guard lock(record_mutex_);
    return chats_;
}

int OpenAiSim::max_parallel() const {
    std::lock_guard lock(record_mutex_);
    return max_parallel_;
}

void OpenAiSim::fail_next(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers) {
    FixtureResponse res;
    res.status = status;
    res.headers = std::move(headers);
    res.headers.emplace_back("Content-Type", "application/json");
    res.body = std::move(body);
    std::lock_guard lock(record_mutex_);
    failures_.push_back(std::move(res));
}

void OpenAiSim::drop_next_stream_after(int events) {
    std::lock_guard lock(record_mutex_);
    drop_after_ = events;
}

void OpenAiSim::error_in_next_stream() {
    std::lock_guard lock(record_mutex_);
    error_in_stream_ = true;
}

FixtureResponse OpenAiSim::chat(const ReceivedRequest& r) {
    using Flavor = OpenAiSimProfile::Flavor;
    {
        std::lock_guard lock(record_mutex_);
        if (!failures_.empty()) {
            auto res = std::move(failures_.front());
            failures_.pop_front();
            return res;
        }
    }
    if (!authorised(r))
        return profile_.flavor == Flavor::openrouter ? error(401, "No auth credentials found", "")
                                                     : error(401, "Invalid API Key", "authentication_error");
    json::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object()) return error(400, "Failed to parse the request body as JSON", "invalid_request_error");
    const auto& req = v.get_object();
    const bool stream = req.contains("stream") && req.at("stream").is_bool() && req.at("stream").as_bool();
    if (profile_.refuses_stream_options && req.contains("stream_options"))
        return error(400,
                     "[{'type': 'extra_forbidden', 'loc': ('body', 'stream_options'), 'msg': 'Extra inputs are not "
                     "permitted'}]",
                     "BadRequestError");
    const std::string model = str(req, "model");
    if (profile_.flavor == Flavor::vllm && model != profile_.model)
        return error(404, "The model `" + model + "` does not exist.", "NotFoundError");
    if (profile_.flavor == Flavor::openrouter && model != profile_.model && model != "openai/gpt-4o-mini")
        return error(400, model + " is not a valid model ID", "");
    const auto* messages = req.if_contains("messages");
    if (!messages || !messages->is_array() || messages->get_array().empty())
        return error(400, "'messages' is required", "invalid_request_error");
    std::string prompt, last_user, last_tool, users;
    for (const auto& m : messages->get_array()) {
        if (!m.is_object()) return error(400, "each message must be an object", "invalid_request_error");
        const std::string role = str(m.get_object(), "role"), content = str(m.get_object(), "content");
        prompt += "<|" + role + "|>" + content;
        if (role == "user") {
            last_user = content;
            users += content;
        }
        if (role == "tool") last_tool = content;
    }
    const int64_t prompt_tokens =
        static_cast<int64_t>(sim_count_tokens(prompt)) + 4 * static_cast<int64_t>(messages->get_array().size());
    const int64_t window = profile_.context_window;
    std::optional<int64_t> max_tokens;
    if (const auto* mt = req.if_contains("max_tokens"); mt && mt->is_int64()) max_tokens = mt->get_int64();
    if (profile_.flavor == Flavor::llama_cpp && prompt_tokens > window) {
        auto res = error(400,
                         "request (" + std::to_string(prompt_tokens) + " tokens) exceeds the available context size (" +
                             std::to_string(window) + " tokens), try increasing it",
                         "exceed_context_size_error");
        auto body = json::parse(res.body);
        body.at("error").as_object()["n_prompt_tokens"] = prompt_tokens;
        body.at("error").as_object()["n_ctx"] = window;
        res.body = json::serialize(body);
        return res;
    }
    if (profile_.flavor == Flavor::vllm && prompt_tokens + max_tokens.value_or(0) > window)
        return error(400,
                     "This model's maximum context length is " + std::to_string(window) +
                         " tokens. However, you requested " + std::to_string(prompt_tokens + max_tokens.value_or(0)) +
                         " tokens (" + std::to_string(prompt_tokens) + " in the messages, " +
                         std::to_string(max_tokens.value_or(0)) +
                         " in the completion). Please reduce the length of the messages or completion.",
                     "BadRequestError");
    std::string format_kind;
    if (const auto* rf = req.if_contains("response_format"); rf && rf->is_object()) {
        format_kind = str(rf->get_object(), "type");
        if (format_kind == "json_schema" && !profile_.json_schema)
            return error(400, "response_format type must be one of \"text\" or \"json_object\"",
                         "invalid_request_error");
    }
    const auto* tools = req.if_contains("tools");
    const bool tool_call = tools && tools->is_array() && !tools->get_array().empty() && last_tool.empty() &&
                           last_user.find("tool") != std::string::npos;
    std::string tool_name;
    if (tool_call) {
        const auto& t = tools->get_array()[0];
        tool_name = t.is_object() && t.get_object().contains("function") ? str(t.at("function").as_object(), "name")
                                                                         : std::string();
    }

    // One slot: requests wait their turn, as llama.cpp with --parallel 1 makes them.
    std::unique_lock slot(slot_mutex_, std::defer_lock);
    if (profile_.flavor == Flavor::llama_cpp) slot.lock();
    {
        std::lock_guard lock(record_mutex_);
        max_parallel_ = std::max(max_parallel_, ++in_progress_);
    }
    int64_t cached = 0;
    if (profile_.flavor == Flavor::llama_cpp) {  // the prompt cache: the common prefix is not evaluated again
        std::size_t common = 0;
        while (common < prompt.size() && common < last_prompt_.size() && prompt[common] == last_prompt_[common])
            ++common;
        cached = static_cast<int64_t>(sim_count_tokens(prompt.substr(0, common)));
        last_prompt_ = prompt;
    }

    std::string text = !last_tool.empty() ? "The tool said: " + last_tool : "You said: " + last_user.substr(0, 200);
    if (format_kind == "json_object" || format_kind == "json_schema") {
        // Asked to explain findings (an audit), it explains the ones it was shown.
        const auto ids = sim_rule_ids_in(users);
        text = ids.empty() ? json::serialize(json::object{{"answer", text}}) : sim_explanations_answer(ids);
    }
    std::vector<std::string> words = tool_call ? std::vector<std::string>{} : words_of(text);
    std::string finish = tool_call ? "tool_calls" : "stop";
    int64_t room = window - prompt_tokens;
    if (max_tokens) room = std::min(room, *max_tokens);
    if (static_cast<int64_t>(words.size()) > room) {
        words.resize(static_cast<std::size_t>(std::max<int64_t>(0, room)));
        finish = "length";
    }
    const int64_t completion_tokens = tool_call ? 12 : static_cast<int64_t>(words.size());
    if (profile_.generated_tokens_per_s > 0 && !stream)
        std::this_thread::sleep_for(
            std::chrono::duration<double>(static_cast<double>(completion_tokens) / profile_.generated_tokens_per_s));

    json::object usage{{"prompt_tokens", prompt_tokens},
                       {"completion_tokens", completion_tokens},
                       {"total_tokens", prompt_tokens + completion_tokens}};
    if (profile_.flavor == Flavor::llama_cpp) usage["prompt_tokens_details"] = json::object{{"cached_tokens", cached}};
    if (profile_.flavor == Flavor::openrouter)
        usage["cost"] = 0.000002 * static_cast<double>(prompt_tokens + completion_tokens);
    const std::string id = profile_.flavor == Flavor::openrouter ? "gen-1733000000-abcdef" : "chatcmpl-sim42";
    const json::string served(profile_.flavor == Flavor::llama_cpp ? profile_.model : model);
    const json::object call{{"id", "call_7"},
                            {"type", "function"},
                            {"function", json::object{{"name", tool_name}, {"arguments", R"({"app": "sabnzbd"})"}}}};
    {
        std::lock_guard lock(record_mutex_);
        chats_.push_back({r.body, prompt_tokens, cached, stream});
        --in_progress_;
    }

    FixtureResponse res;
    if (profile_.flavor == Flavor::vllm) res.headers.emplace_back("x-request-id", "vllm-req-9f2c");
    if (!stream) {
        json::object message{{"role", "assistant"}};
        std::string content;
        for (const auto& w : words) content += w;
        message["content"] = tool_call ? json::value(nullptr) : json::value(content);
        if (tool_call) message["tool_calls"] = json::array{call};
        res.headers.emplace_back("Content-Type", "application/json");
        res.body = json::serialize(json::object{
            {"id", id},
            {"object", "chat.completion"},
            {"created", 1733000000},
            {"model", served},
            {"choices", json::array{json::object{{"index", 0}, {"message", message}, {"finish_reason", finish}}}},
            {"usage", usage}});
        return res;
    }

    // The stream: one SSE event per token, each its own write at the token rate.
    std::vector<std::string> events;
    auto chunk = [&](json::object delta, json::value finish_reason) {
        return sse(json::object{
            {"id", id},
            {"object", "chat.completion.chunk"},
            {"created", 1733000000},
            {"model", served},
            {"choices",
             json::array{json::object{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish_reason}}}}});
    };
    if (profile_.flavor == Flavor::openrouter) events.push_back(": OPENROUTER PROCESSING\n\n");
    events.push_back(chunk(json::object{{"role", "assistant"}, {"content", ""}}, nullptr));
    bool error_chunk = false;
    {
        std::lock_guard lock(record_mutex_);
        error_chunk = std::exchange(error_in_stream_, false);
    }
    if (tool_call) {
        // The id and name first, then the arguments in fragments, as OpenAI streams them.
        events.push_back(chunk(
            json::object{{"tool_calls", json::array{json::object{
                                            {"index", 0},
                                            {"id", "call_7"},
                                            {"type", "function"},
                                            {"function", json::object{{"name", tool_name}, {"arguments", ""}}}}}}},
            nullptr));
        for (const char* part : {"{\"app\"", ": \"sab", "nzbd\"}"})
            events.push_back(
                chunk(json::object{{"tool_calls", json::array{json::object{
                                                      {"index", 0}, {"function", json::object{{"arguments", part}}}}}}},
                      nullptr));
    } else {
        for (std::size_t i = 0; i < words.size(); ++i) {
            if (error_chunk && i == 2) {
                events.push_back(sse(json::object{
                    {"id", id},
                    {"object", "chat.completion.chunk"},
                    {"error", json::object{{"code", "server_error"}, {"message", "Provider returned error"}}},
                    {"choices",
                     json::array{json::object{
                         {"index", 0}, {"delta", json::object{{"content", ""}}}, {"finish_reason", "error"}}}}}));
                break;
            }
            events.push_back(chunk(json::object{{"content", words[i]}}, nullptr));
        }
    }
    if (!error_chunk) events.push_back(chunk(json::object{}, json::value(finish)));
    bool include_usage = false;
    if (const auto* so = req.if_contains("stream_options"); so && so->is_object())
        if (const auto* iu = so->get_object().if_contains("include_usage"); iu && iu->is_bool())
            include_usage = iu->as_bool();
    if (include_usage)
        events.push_back(sse(json::object{{"id", id},
                                          {"object", "chat.completion.chunk"},
                                          {"created", 1733000000},
                                          {"model", served},
                                          {"choices", json::array{}},
                                          {"usage", usage}}));
    events.push_back("data: [DONE]\n\n");

    res.headers.emplace_back("Content-Type", "text/event-stream");
    res.chunked = true;
    std::optional<int> drop;
    {
        std::lock_guard lock(record_mutex_);
        drop = std::exchange(drop_after_, std::nullopt);
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (drop && static_cast<int>(i) == *drop) {
            res.drop_at = res.body.size();
            break;
        }
        res.body += events[i];
        res.pieces.push_back(events[i].size());
    }
    if (res.drop_at) res.body += "data: {\"never\": \"sent\"}\n\n";  // bytes the cut keeps from the client
    if (profile_.generated_tokens_per_s > 0)
        res.piece_delay = std::chrono::milliseconds(static_cast<int64_t>(1000 / profile_.generated_tokens_per_s));
    return res;
}

}  // namespace autoarr::test
