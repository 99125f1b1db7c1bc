// An Ollama that behaves like a real one on a home server, on loopback, for
// the tests and the enrichment benchmark. Faithful in behaviour, learned from
// Ollama's server and runner (tests/fixtures/PROTOCOLS.md §1):
//
// - a context window: options.num_ctx, else the server's default (4096 below
//   24 GiB of VRAM), never above the model's maximum (/api/show reports it);
// - silent truncation: a prompt longer than the window is cut to exactly
//   num_ctx tokens (the first num_keep tokens and the end), and the model
//   answers only what it saw; prompt_eval_count is honest about what it read;
// - one request at a time (OLLAMA_NUM_PARALLEL=1): others wait their turn;
// - prompt and generation token rates, and a reload whenever num_ctx changes;
// - the KV cache: a prompt that starts like the previous one evaluates only
//   the new tokens;
// - how releases count: the whole prompt (today, with
//   prompt_eval_cached_count), only the new tokens, or no count at all on a
//   full cache hit;
// - num_predict bounds the answer (done_reason "length").
//
// It "explains" every finding whose `"rule_id":"..."` it can see in the user
// messages, as JSON, so a cut prompt yields fewer explanations, exactly
// as with a real model.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/fixture_server.h"

namespace autoarr::test {

// A tokenizer with the density of a BPE vocabulary on JSON and English
// (about 3.5 characters a token): letter runs cost one token per 4 letters,
// digit runs one per 3 digits, punctuation runs one per 2 characters; a
// single space is free (it joins the next word), longer whitespace is one.
// Returns the byte offset where each token starts.
std::vector<std::size_t> sim_token_starts(std::string_view text);
inline std::size_t sim_count_tokens(std::string_view text) {
    return sim_token_starts(text).size();
}

// What a model asked to explain findings answers: {"findings": [{"rule_id",
// "explanation", "impact", "priority"}, ...]}, one per rule id, for the ids a
// model can see in the text it read (every `"rule_id":"…"` in it). Shared by
// the Ollama and OpenAI-compatible simulations.
std::set<std::string> sim_rule_ids_in(std::string_view visible);
std::string sim_explanations_answer(const std::set<std::string>& rule_ids);

struct OllamaSimProfile {
    std::string model = "qwen2.5:7b";
    std::string architecture = "qwen2";
    int64_t model_max_context = 32768;
    int64_t server_default_num_ctx = 4096;  // when a request sends no num_ctx
    int64_t num_keep = 4;                   // tokens kept from the start when cutting
    double prompt_tokens_per_s = 0;         // 0: instant
    double generated_tokens_per_s = 0;      // 0: instant
    double streamed_tokens_per_s = 0;       // the pace of a streamed answer's lines; 0: generated_tokens_per_s
    double reload_s = 0;                    // a model (re)load: first use, or a new num_ctx
    double time_scale = 1;                  // every sleep is divided by this (benchmarks)
    enum class Counting { whole_prompt, new_tokens_only, omitted_on_cache_hit } counting = Counting::whole_prompt;
    bool report_context_length = true;  // false: an old server whose /api/show has no model_info
    std::string answered_model;         // the name answers carry (as Claude's dated ids); empty: `model`
};

struct SimChat {
    int64_t num_ctx = 0;           // the window in effect
    bool num_ctx_sent = false;     // the request carried options.num_ctx
    int64_t prompt_tokens = 0;     // what the whole prompt costs
    int64_t evaluated_tokens = 0;  // read after truncation
    int64_t cached_tokens = 0;     // reused from the KV cache
    int64_t generated_tokens = 0;  // the answer
    bool truncated = false;        // the prompt did not fit and was cut
    bool reloaded = false;         // the model was (re)loaded for this request
    bool think_false = false;      // the request said "think": false
    std::set<std::string> seen;    // rule ids visible to the model
    std::string request_body;
};

class OllamaSim {
public:
    explicit OllamaSim(OllamaSimProfile profile = {});
    std::string url() const { return server_.url(); }
    FixtureServer& server() { return server_; }

    std::vector<SimChat> chats() const;  // the chat requests answered so far
    int chats_started() const;           // chat requests received, answered or not
    int max_parallel() const;            // the most chat requests ever in progress at once (must stay 1)
    // Answers garbage whenever the model sees this rule id (for "one bad batch").
    void answer_garbage_for(const std::string& rule_id);
    // From the n-th chat request on (1-based), hold the request until the
    // server stops: a model that never finishes (for restart tests).
    void hang_from(int n);

    // The answer to one POST /api/chat (for a server that wraps the sim, bench/soak_upstream.cpp).
    FixtureResponse chat(const ReceivedRequest& request);

private:
    void sleep_for_tokens(double tokens, double rate) const;

    OllamaSimProfile profile_;

    mutable std::mutex model_mutex_;  // the one model slot: held for a whole chat request
    int64_t loaded_num_ctx_ = 0;      // guarded by model_mutex_
    std::string kv_cache_;            // the last visible prompt; guarded by model_mutex_

    mutable std::mutex record_mutex_;  // guards the fields below
    std::vector<SimChat> chats_;
    std::set<std::string> garbage_for_;
    int hang_from_ = 0;
    int in_progress_ = 0, max_parallel_ = 0, started_ = 0;

    // Last, so it is destroyed first: its threads (a request still being
    // answered) stop before the state they write to goes away.
    FixtureServer server_;
};

}  // namespace autoarr::test
