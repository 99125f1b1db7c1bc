// The real `autoarr` binary, run as a user would run it.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/ollama_sim.h"
#include "support/plugin_dir.h"
#include "support/run_process.h"

namespace autoarr::test {
namespace {

namespace json = boost::json;

std::string autoarr(const std::string& args) {
    return shell_quote(AUTOARR_BINARY) + " " + args;
}

TEST(CliTest, VersionAndHelp) {
    auto v = run_process(autoarr("--version"));
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_EQ(v.out.rfind("autoarr ", 0), 0u);
    EXPECT_NE(v.out.find("provider ABI 1.0..1.1"), std::string::npos) << v.out;
    auto h = run_process(autoarr("--help"));
    EXPECT_EQ(h.exit_code, 0);
    EXPECT_NE(h.out.find("plugins list"), std::string::npos);
    auto bad = run_process(autoarr("frobnicate"));
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("unknown command 'frobnicate'"), std::string::npos);
    auto badopt = run_process(autoarr("plugins list --jsn"));
    EXPECT_EQ(badopt.exit_code, 2);
    EXPECT_NE(badopt.err.find("unknown option --jsn"), std::string::npos);
}

TEST(CliTest, ALogLevelFromTheEnvironmentIsHonouredAndABadOneNamed) {
    auto bad = run_process("AUTOARR_LOG_LEVEL=loud " + autoarr("--version"));
    EXPECT_EQ(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("AUTOARR_LOG_LEVEL \"loud\" is not one of"), std::string::npos) << bad.err;
    // debug shows the loader's per-plugin lines; off shows none.
    auto debug = run_process("AUTOARR_LOG_LEVEL=debug " + autoarr("plugins list"));
    auto off = run_process("AUTOARR_LOG_LEVEL=off " + autoarr("plugins list"));
    EXPECT_EQ(debug.exit_code, 0);
    EXPECT_NE(debug.err.find("plugin"), std::string::npos) << debug.err;
    EXPECT_EQ(off.err, "");
}

TEST(CliTest, DefaultBuildLoadsOllamaClaudeAndOpenAi) {
    auto r = run_process("env -u AUTOARR_PLUGIN_PATH " + autoarr("plugins list --json"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json::array arr = json::parse(r.out).as_array();
    std::set<std::string> loaded;
    for (const auto& v : arr) {
        const auto& o = v.as_object();
        for (const char* key : {"id", "name", "version", "abi_version", "path", "state"})
            EXPECT_TRUE(o.contains(key)) << key;
        if (o.at("state") == "loaded") loaded.insert(std::string(o.at("id").as_string()));
        EXPECT_EQ(o.at("abi_version"), "1.1");  // the first-party plugins are built with today's SDK
    }
    EXPECT_TRUE(loaded.count("ollama"));
    EXPECT_TRUE(loaded.count("claude"));
    EXPECT_TRUE(loaded.count("openai"));
}

TEST(CliTest, JsonListsRejectedPluginsWithReasons) {
    TempDir dir;
    install_fixture(dir.path(), "a-good", "fixture_good_cpp", "good-cpp");
    install_fixture(dir.path(), "b-bad", "fixture_missing_slot", "missing-slot");
    TempDir env_dir;
    install_fixture(env_dir.path(), "c", "fixture_good_c", "good-c");
    auto r = run_process(
        "AUTOARR_PLUGIN_PATH=" + shell_quote(env_dir.path().string()) + " " +
        autoarr("plugins list --json --no-builtin-plugins --plugin-dir " + shell_quote(dir.path().string())));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json::array arr = json::parse(r.out).as_array();
    ASSERT_EQ(arr.size(), 3u);
    EXPECT_EQ(arr[0].at("id"), "good-cpp");
    EXPECT_EQ(arr[0].at("state"), "loaded");
    EXPECT_FALSE(arr[0].as_object().contains("reason"));
    EXPECT_EQ(arr[1].at("id"), "missing-slot");
    EXPECT_EQ(arr[1].at("state"), "rejected");
    EXPECT_EQ(arr[1].at("reason"), "step validate: required slot complete is NULL [ABI-10]");
    EXPECT_EQ(arr[2].at("id"), "good-c");
    EXPECT_EQ(arr[2].at("origin"), "AUTOARR_PLUGIN_PATH");
    // One log line on stderr for the rejected plugin, naming its file and step.
    EXPECT_NE(r.err.find("libfixture_missing_slot.so: step validate"), std::string::npos) << r.err;
}

TEST(CliTest, TextListing) {
    TempDir dir;
    install_fixture(dir.path(), "a", "fixture_refuse", "refuse");
    auto r = run_process(
        autoarr("--log-level off plugins list --no-builtin-plugins --plugin-dir " + shell_quote(dir.path().string())));
    // A directory named on purpose that yields no loadable plugin fails, naming it.
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("refuse"), std::string::npos);
    EXPECT_NE(r.out.find("rejected"), std::string::npos);
    EXPECT_NE(r.out.find("step negotiate"), std::string::npos);
    EXPECT_EQ(r.err, "autoarr plugins: no loadable plugin in --plugin-dir " + dir.path().string() + "\n");

    // Columns fit long ids: the id never runs into the version.
    const std::string long_id = "a-provider-id-well-beyond-sixteen-characters";
    install_fixture(dir.path(), "b", "fixture_good_c", long_id);  // rejected (its library says "good-c")
    r = run_process(
        autoarr("--log-level off plugins list --no-builtin-plugins --plugin-dir " + shell_quote(dir.path().string())));
    EXPECT_NE(r.out.find(long_id + "  1.0.0"), std::string::npos) << r.out;

    // A plugin in a directory whose name merely starts with the empty one's does not count for it.
    TempDir root;
    std::filesystem::create_directories(root.path() / "p");
    install_fixture(root.path() / "p2", "a", "fixture_script_a", "script-a");
    r = run_process(autoarr("--log-level off plugins list --no-builtin-plugins --plugin-dir " +
                            shell_quote((root.path() / "p").string()) + " --plugin-dir " +
                            shell_quote((root.path() / "p2").string())));
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_EQ(r.err, "autoarr plugins: no loadable plugin in --plugin-dir " + (root.path() / "p").string() + "\n");
    // A relative directory, "." included, counts what is inside it.
    r = run_process("cd " + shell_quote((root.path() / "p2").string()) + " && " +
                    autoarr("--log-level off plugins list --no-builtin-plugins --plugin-dir ."));
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace autoarr::test

namespace autoarr::test {
namespace {

// Two scriptable providers in a plugin directory, configured by a file.
struct ScriptStack {
    TempDir plugins;
    TempDir conf;
    explicit ScriptStack(const std::string& a_settings, const std::string& b_settings = "{}") {
        install_fixture(plugins.path(), "a", "fixture_script_a", "script-a");
        install_fixture(plugins.path(), "b", "fixture_script_b", "script-b");
        write_file(conf.path() / "config.json",
                   R"({"routing": {"provider": "script-a", "fallback_order": ["script-b"]},
                       "providers": {"script-a": )" +
                       a_settings + R"(, "script-b": )" + b_settings + "}}");
    }
    // env: assignments such as "LLM_PROVIDER=x" applied after the host's own are cleared.
    std::string run(const std::string& args, const std::string& env = "") const {
        return "env -u LLM_PROVIDER -u LLM_FALLBACK_ORDER " + env + " " + shell_quote(AUTOARR_BINARY) +
               " --log-level warn " + args + " --no-builtin-plugins --plugin-dir " +
               shell_quote(plugins.path().string()) + " --config " +
               shell_quote((conf.path() / "config.json").string());
    }
};

TEST(CliChatTest, JsonAnswerNamesTheProviderAndAttempts) {
    ScriptStack s(R"({"always_fail": true, "retryable": false})");
    auto r = run_process(s.run("chat --json hello there"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto o = boost::json::parse(r.out).as_object();
    EXPECT_EQ(o.at("content"), "script-b");
    EXPECT_EQ(o.at("provider"), "script-b");
    EXPECT_EQ(o.at("finish_reason"), "stop");
    ASSERT_EQ(o.at("attempts").as_array().size(), 2u);
    EXPECT_EQ(o.at("attempts").as_array()[0].at("outcome"), "error");
}

TEST(CliChatTest, StreamPrintsTokensAndExplicitProviderGoesFirst) {
    ScriptStack s("{}");
    auto r = run_process(s.run("chat --stream --provider script-b hi"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "t0 t1 t2 \n");
}

TEST(CliChatTest, EveryProviderFailingExitsNonZeroWithReasons) {
    ScriptStack s(R"({"always_fail": true, "retryable": false})", R"({"always_fail": true, "retryable": false,
                  "fail_code": "AUTH_FAILED"})");
    auto r = run_process(s.run("chat hi"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("every provider failed"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("script-a: error"), std::string::npos);
    EXPECT_NE(r.err.find("AUTH_FAILED"), std::string::npos);
}

TEST(CliChatTest, UnknownProviderIsNamed) {
    ScriptStack s("{}");
    auto r = run_process(s.run("chat hi", "LLM_PROVIDER=ollama-typo"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown provider \"ollama-typo\""), std::string::npos) << r.err;
}

TEST(CliProvidersTest, JsonInRoutingOrderWithState) {
    ScriptStack s("{}", R"({"bad": )");  // script-b: settings are not even JSON -> file error
    auto broken = run_process(s.run("providers --json"));
    EXPECT_EQ(broken.exit_code, 2);
    EXPECT_NE(broken.err.find("is not valid JSON"), std::string::npos) << broken.err;

    ScriptStack ok("{}");
    auto r = run_process(ok.run("providers --json"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto arr = boost::json::parse(r.out).as_array();
    ASSERT_EQ(arr.size(), 2u);
    EXPECT_EQ(arr[0].at("id"), "script-a");
    EXPECT_EQ(arr[0].at("state"), "healthy");
    EXPECT_EQ(arr[1].at("id"), "script-b");
    for (const char* k : {"priority", "state", "breaker", "models", "latency_ms"})
        EXPECT_TRUE(arr[0].as_object().contains(k)) << k;
}

// With LLM_PROVIDER unset, manifest priority alone orders the providers: a
// plugin below Ollama's 10 goes first. Setting LLM_PROVIDER puts that one first.
TEST(CliProvidersTest, APriorityBelowOllamasGoesFirstUntilLlmProviderNamesAnother) {
    TempDir dir;
    const auto plugin = install_fixture(dir.path(), "a", "fixture_script_a", "script-a");
    write_file(plugin / "manifest.json",
               manifest_json("script-a", "libfixture_script_a.so", "1.0", "x86_64", /*priority=*/5));
    auto ids = [&](const std::string& env) {
        auto r =
            run_process("env -u LLM_PROVIDER -u LLM_FALLBACK_ORDER -u CLAUDE_API_KEY -u ANTHROPIC_API_KEY " + env +
                        " OLLAMA_URL=http://127.0.0.1:9 " +
                        autoarr("--log-level off providers --json --plugin-dir " + shell_quote(dir.path().string())));
        std::vector<std::string> out;
        if (r.exit_code != 0) {
            ADD_FAILURE() << r.err;
            return out;
        }
        const json::value list = json::parse(r.out);
        for (const auto& p : list.as_array()) {
            const std::string id(p.at("id").as_string());
            if (id == "script-a" || id == "ollama" || id == "claude" || id == "openai") out.push_back(id);
        }
        return out;
    };
    EXPECT_EQ(ids(""), (std::vector<std::string>{"script-a", "ollama", "claude", "openai"}));
    EXPECT_EQ(ids("LLM_PROVIDER=ollama"), (std::vector<std::string>{"ollama", "script-a", "claude", "openai"}));
    // A fallback order alone is tried after the first by priority, never before it.
    EXPECT_EQ(ids("LLM_FALLBACK_ORDER=claude"), (std::vector<std::string>{"script-a", "claude", "ollama", "openai"}));
    std::filesystem::remove_all(plugin);
    EXPECT_EQ(ids("LLM_FALLBACK_ORDER=openai"), (std::vector<std::string>{"ollama", "openai", "claude"}));
}

}  // namespace
}  // namespace autoarr::test

namespace autoarr::test {
namespace {

std::string audit_cmd(const std::string& args) {
    return "NO_COLOR=1 " + shell_quote(AUTOARR_BINARY) + " --log-level off audit " + args;
}
const std::string kSample = std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack";

TEST(CliAuditTest, JsonReportAndExitCodes) {
    auto r = run_process(audit_cmd("--from " + shell_quote(kSample) + " --no-llm --format json"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto o = boost::json::parse(r.out).as_object();
    EXPECT_EQ(o.at("mode"), "rules-only");
    EXPECT_EQ(o.at("findings").as_array().size(), 91u);
    EXPECT_EQ(run_process(audit_cmd("--from " + shell_quote(kSample) + " --no-llm --fail-on critical")).exit_code, 3);
    EXPECT_EQ(run_process(audit_cmd("--from " + shell_quote(kSample) + " --no-llm --fail-on bogus")).exit_code, 2);
    auto missing = run_process(audit_cmd("--from /nonexistent --no-llm"));
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("/nonexistent does not exist"), std::string::npos);
    EXPECT_EQ(run_process(audit_cmd("--no-llm")).exit_code, 2);
    for (const char* bad_date : {"2026-02-29", "2026-13-01", "26-01-01", "2026-1-01", "today"}) {
        auto dated = run_process(audit_cmd("--from " + shell_quote(kSample) + " --no-llm --today " + bad_date));
        EXPECT_EQ(dated.exit_code, 2) << bad_date;
        EXPECT_NE(dated.err.find(std::string("--today must be a date written YYYY-MM-DD, not \"") + bad_date + "\""),
                  std::string::npos)
            << dated.err;
    }
    EXPECT_EQ(run_process(audit_cmd("--from " + shell_quote(kSample) + " --no-llm --today 2028-02-29")).exit_code, 0);
    auto fix = run_process(shell_quote(AUTOARR_BINARY) + " --log-level off fix --today 2026-04-31");
    EXPECT_EQ(fix.exit_code, 2);
    EXPECT_NE(fix.err.find("autoarr fix: --today must be a date written YYYY-MM-DD, not \"2026-04-31\""),
              std::string::npos)
        << fix.err;
}

TEST(CliAuditTest, WithoutAModelServerItRunsRulesOnlyAndSaysHowToEnableOne) {
    // Only the public plugins (a dev build also has a private echo plugin, which would answer).
    auto r = run_process("env -u CLAUDE_API_KEY -u ANTHROPIC_API_KEY OLLAMA_URL=http://127.0.0.1:1 " +
                         audit_cmd("--from " + shell_quote(kSample) + " --no-builtin-plugins --plugin-dir " +
                                   shell_quote(AUTOARR_BUILTIN_PLUGIN_DIR)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("rules-only"), std::string::npos);
    EXPECT_NE(r.out.find("no language model is reachable"), std::string::npos);
    EXPECT_NE(r.out.find("CLAUDE_API_KEY"), std::string::npos);
    // The hint names every provider that is loaded, and only those.
    EXPECT_NE(r.out.find("OLLAMA_URL"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("AUTOARR_PROVIDER_OPENAI_BASE_URL"), std::string::npos) << r.out;
    TempDir only_claude;
    std::filesystem::copy(std::filesystem::path(AUTOARR_BUILTIN_PLUGIN_DIR) / "claude", only_claude.path() / "claude");
    r = run_process("env -u CLAUDE_API_KEY -u ANTHROPIC_API_KEY OLLAMA_URL=http://127.0.0.1:1 " +
                    audit_cmd("--from " + shell_quote(kSample) + " --no-builtin-plugins --plugin-dir " +
                              shell_quote(only_claude.path().string())));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("set CLAUDE_API_KEY for claude"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("OLLAMA_URL"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("AUTOARR_PROVIDER_OPENAI"), std::string::npos) << r.out;
}

TEST(CliAuditTest, HelpListsEveryOption) {
    auto r = run_process(audit_cmd("--help"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const char* flag :
         {"--from", "--provider", "--format", "--fail-on", "--save", "--no-llm", "--no-cache", "--progress",
          "--deadline", "--rules", "--today", "--config", "--plugin-dir", "--no-builtin-plugins"})
        EXPECT_NE(r.out.find(flag), std::string::npos) << flag << " missing from:\n" << r.out;
}

TEST(CliAuditTest, SaveWritesARedactedSnapshotThatAuditsAgain) {
    TempDir out;
    auto saved = (out.path() / "snap").string();
    auto r = run_process(
        audit_cmd("--from " + shell_quote(kSample) + " --no-llm --format json --save " + shell_quote(saved)));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string all;
    for (auto& e : std::filesystem::recursive_directory_iterator(saved))
        if (e.is_regular_file()) all += read_file(e.path());
    EXPECT_NE(all.find("**redacted**"), std::string::npos);
    for (const char* secret : {"9b1e4c7a2f6d4e0b8a3c5d7e9f1a2b3c", "usenetuser", "testkey"})
        EXPECT_EQ(all.find(secret), std::string::npos) << secret;
    auto again = run_process(audit_cmd("--from " + shell_quote(saved) + " --no-llm --format json"));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    // The key-quality rules need the key itself (SON-SEC-05 and RAD-SEC-05 fire on
    // the live documents); everything else is found again: 91 - 2.
    EXPECT_EQ(boost::json::parse(again.out).at("findings").as_array().size(), 89u);
}

TEST(CliAuditTest, OneBrokenAppIsAnErrorAndTheOthersAreAudited) {
    TempDir d;
    for (const char* app : {"sabnzbd", "sonarr", "radarr"}) std::filesystem::copy(kSample + "/" + app, d.path() / app);
    write_file(d.path() / "sonarr" / "config_host.json", "{not json");
    write_file(d.path() / "radarr" / "rootfolder.json", "{\"an\": \"object\"}");
    auto r = run_process(audit_cmd("--from " + shell_quote(d.path().string()) + " --no-llm --format json"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto o = boost::json::parse(r.out).as_object();
    std::map<std::string, std::string> status;
    for (const auto& a : o.at("applications").as_array())
        status[std::string(a.at("name").as_string())] =
            std::string(a.at("status").as_string()) +
            (a.as_object().contains("error") ? ": " + std::string(a.at("error").as_string()) : "");
    EXPECT_EQ(status["sabnzbd"], "ok");
    EXPECT_NE(status["sonarr"].find("error: "), std::string::npos);
    EXPECT_NE(status["sonarr"].find("config_host.json is not valid JSON"), std::string::npos);
    EXPECT_NE(status["radarr"].find("rootfolder must be a JSON array"), std::string::npos);
    for (const auto& f : o.at("findings").as_array()) {
        std::string id(f.at("rule_id").as_string());
        EXPECT_TRUE(id.rfind("SAB-", 0) == 0 || id.rfind("X-", 0) == 0) << id;
    }
}

TEST(CliAuditTest, MarkdownFormat) {
    auto r = run_process(audit_cmd("--from " + shell_quote(kSample) + " --no-llm --format markdown"));
    ASSERT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.rfind("# AutoArr audit", 0), 0u);
}

// `autoarr audit` against an Ollama that behaves like a home server's: the
// progress line, the explanation cache in the store and `autoarr cache clear`.
TEST(CliTest, AuditExplainsWithProgressAndCachesInTheStore) {
    OllamaSimProfile p;
    p.model_max_context = 4096;
    OllamaSim sim(p);
    TempDir dir;
    const std::string env = "env -u AUTOARR_PLUGIN_PATH AUTOARR_DB=" + shell_quote((dir.path() / "a.db").string()) +
                            " OLLAMA_URL=" + sim.url() + " OLLAMA_MODEL=qwen2.5:7b LLM_PROVIDER=ollama ";
    const std::string from = " --from " + shell_quote(std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack");

    auto quiet = run_process(env + autoarr("audit --format json" + from));  // stderr is a pipe: no progress
    ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
    EXPECT_EQ(quiet.err.find("explained"), std::string::npos) << quiet.err;
    auto report = json::parse(quiet.out).as_object();
    EXPECT_EQ(report.at("enrichment").at("state"), "complete");
    EXPECT_EQ(report.at("enrichment").at("explained"), 91);
    const auto asked = sim.chats().size();

    auto again = run_process(env + autoarr("audit --progress" + from));  // text report, progress on the pipe
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(sim.chats().size(), asked) << "the cache did not answer";
    EXPECT_NE(again.err.find("autoarr audit: explained 91/91 · 91 cached"), std::string::npos) << again.err;
    EXPECT_NE(again.out.find("explained 91 of 91, 91 from the cache"), std::string::npos);

    auto cleared = run_process(env + autoarr("cache clear"));
    EXPECT_EQ(cleared.exit_code, 0) << cleared.err;
    EXPECT_NE(cleared.out.find("removed 91 cached explanations"), std::string::npos) << cleared.out;
    auto fresh = run_process(env + autoarr("audit --no-cache --format json" + from));
    ASSERT_EQ(fresh.exit_code, 0);
    EXPECT_GT(sim.chats().size(), asked);
    EXPECT_EQ(run_process(env + autoarr("cache clear")).out.find("removed 0 cached"), 0u);  // --no-cache wrote none

    auto bad = run_process(env + autoarr("audit --deadline soon" + from));
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--deadline must be a number of seconds"), std::string::npos) << bad.err;
    EXPECT_EQ(run_process(env + autoarr("cache flush")).exit_code, 2);
}

TEST(CliTest, AuditAtItsDeadlineSaysWhatWasNotExplainedAndWhy) {
    OllamaSimProfile p;
    p.model_max_context = 4096;
    p.generated_tokens_per_s = 300;  // each batch takes about a second
    OllamaSim sim(p);
    TempDir dir;
    const std::string env = "env -u AUTOARR_PLUGIN_PATH AUTOARR_DB=" + shell_quote((dir.path() / "a.db").string()) +
                            " OLLAMA_URL=" + sim.url() + " OLLAMA_MODEL=qwen2.5:7b LLM_PROVIDER=ollama ";
    auto r = run_process(env + autoarr("audit --deadline 3 --from " +
                                       shell_quote(std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("not explained: the enrichment deadline (3 s) passed"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("(partial: the enrichment deadline (3 s) passed"), std::string::npos) << r.out.substr(0, 400);
}

}  // namespace
}  // namespace autoarr::test
