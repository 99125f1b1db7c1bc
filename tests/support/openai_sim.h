// OpenAI-compatible servers as they behave, on loopback, for the openai
// plugin's tests. Faithful in behaviour, learned from llama.cpp's server,
// vLLM's OpenAI front end and OpenRouter's API documentation
// (tests/fixtures/PROTOCOLS.md §4):
//
// - llama.cpp: one model whatever "model" says; a context window n_ctx
//   (-c) reported only by /props; a prompt longer than it is refused with
//   400 exceed_context_size_error, an answer that reaches it stops with
//   finish_reason "length"; --parallel 1 (one request at a time, the others
//   wait their turn); a prompt cache that reports cached_tokens; optional
//   --api-key (401 authentication_error).
// - vLLM: the model must be the served one (404 NotFoundError); prompt plus
//   max_tokens must fit max_model_len (400, "maximum context length"); its
//   errors are top-level {"object":"error",...}; x-request-id on answers; an
//   old release refuses unknown fields such as stream_options (400
//   extra_forbidden).
// - OpenRouter: /v1/models is public, /v1/key needs the key; every chat
//   needs it (401); streams start with ": OPENROUTER PROCESSING" comments;
//   usage carries "cost"; an error after the stream began arrives as a data
//   chunk with "error".
//
// Every server streams SSE "data:" chunks ending in "data: [DONE]", sends
// the usage chunk only when stream_options.include_usage asks for it, and
// streams a tool call as a first chunk with id and name, then the
// arguments in fragments.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "support/fixture_server.h"

namespace autoarr::test {

struct OpenAiSimProfile {
    enum class Flavor { llama_cpp, vllm, openrouter } flavor = Flavor::llama_cpp;
    std::string model = "qwen2.5-7b-instruct-q4_k_m.gguf";
    int64_t context_window = 4096;  // llama.cpp's n_ctx, vLLM's max_model_len
    std::string api_key;            // empty: no key asked for (OpenRouter always asks)
    bool json_schema = true;        // response_format json_schema is understood
    bool refuses_stream_options = false;
    double generated_tokens_per_s = 0;  // 0: instant
};

struct OpenAiSimChat {
    std::string body;  // as received
    int64_t prompt_tokens = 0;
    int64_t cached_tokens = 0;
    bool stream = false;
};

class OpenAiSim {
public:
    explicit OpenAiSim(OpenAiSimProfile profile = {});
    std::string url() const { return server_.url(); }
    FixtureServer& server() { return server_; }

    std::vector<OpenAiSimChat> chats() const;
    int max_parallel() const;  // the most chat requests ever in progress at once

    // The next chat request gets this answer instead (status, JSON body, headers).
    void fail_next(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {});
    // The next streamed answer is cut after this many SSE events, without [DONE].
    void drop_next_stream_after(int events);
    // The next streamed answer sends two text chunks, then an error chunk (OpenRouter).
    void error_in_next_stream();

private:
    FixtureResponse chat(const ReceivedRequest& r);
    FixtureResponse error(int status, const std::string& message, const std::string& type) const;
    bool authorised(const ReceivedRequest& r) const;

    OpenAiSimProfile profile_;

    std::mutex slot_mutex_;    // the one slot of llama.cpp --parallel 1: held for a whole chat request
    std::string last_prompt_;  // the prompt cache; guarded by slot_mutex_

    mutable std::mutex record_mutex_;  // guards the fields below
    std::vector<OpenAiSimChat> chats_;
    std::deque<FixtureResponse> failures_;
    std::optional<int> drop_after_;
    bool error_in_stream_ = false;
    int in_progress_ = 0, max_parallel_ = 0;

    FixtureServer server_;  // last: its threads stop before the state above goes
};

}  // namespace autoarr::test
