// Configuration precedence (flag > env > file > default), the original's
// variable names and aliases, per-plugin sections, secrets kept out of
// settings, and invalid values named.
#include "config/config.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace autoarr::config {
namespace {

Config load_with(Environment env, const std::string& file_text = "", std::optional<std::string> flag = {}) {
    static test::TempDir dir;
    Sources s;
    s.env = std::move(env);
    s.default_file = dir.path() / "absent.json";
    if (!file_text.empty()) {
        test::write_file(dir.path() / "config.json", file_text);
        s.file = dir.path() / "config.json";
    }
    s.provider_flag = std::move(flag);
    return load(s);
}

TEST(ConfigTest, Defaults) {
    auto c = load_with({});
    EXPECT_EQ(c.provider, "");
    EXPECT_FALSE(c.provider_explicit);
    EXPECT_TRUE(c.order().empty());  // the default pins nothing: manifest priority orders
    EXPECT_EQ(load_with({{"LLM_FALLBACK_ORDER", "claude,ollama"}}).order(),
              (std::vector<std::string>{"claude", "ollama"}));
    EXPECT_TRUE(c.fallback_enabled);
    EXPECT_EQ(c.providers["ollama"].settings.at("model"), "qwen2.5:7b");
    EXPECT_TRUE(c.errors.empty());
}

TEST(ConfigTest, FallbackOrderIsTrimmedAndExplicitProviderGoesFirst) {
    auto c = load_with({{"LLM_PROVIDER", "claude"}, {"LLM_FALLBACK_ORDER", " ollama , claude,, x "}});
    EXPECT_EQ(c.order(), (std::vector<std::string>{"claude", "ollama", "x"}));
}

TEST(ConfigTest, BooleansInAnyCase) {
    for (auto [text, want] : std::vector<std::pair<std::string, bool>>{
             {"TRUE", true}, {"1", true}, {"False", false}, {"0", false}, {"yes", true}, {"OFF", false}}) {
        auto c = load_with({{"LLM_FALLBACK_ENABLED", text}, {"OLLAMA_AUTO_DOWNLOAD", text}});
        EXPECT_EQ(c.fallback_enabled, want) << text;
        EXPECT_EQ(c.providers["ollama"].settings.at("auto_download").as_bool(), want) << text;
    }
    auto bad = load_with({{"LLM_FALLBACK_ENABLED", "maybe"}});
    ASSERT_EQ(bad.errors.size(), 1u);
    EXPECT_NE(bad.errors[0].find("LLM_FALLBACK_ENABLED=\"maybe\""), std::string::npos);
}

TEST(ConfigTest, OllamaUrlAliasAndPrecedence) {
    EXPECT_EQ(load_with({{"OLLAMA_BASE_URL", "http://b:1"}}).providers["ollama"].settings.at("url"), "http://b:1");
    EXPECT_EQ(load_with({{"OLLAMA_BASE_URL", "http://b:1"}, {"OLLAMA_URL", "http://a:1"}})
                  .providers["ollama"]
                  .settings.at("url"),
              "http://a:1");
}

TEST(ConfigTest, ClaudeKeyAliasGoesToSecretsNotSettings) {
    auto c = load_with({{"ANTHROPIC_API_KEY", "sk-ant-1"}});
    EXPECT_EQ(c.providers["claude"].secrets.at("api_key"), "sk-ant-1");
    EXPECT_EQ(
        load_with({{"ANTHROPIC_API_KEY", "b"}, {"CLAUDE_API_KEY", "a"}}).providers["claude"].secrets.at("api_key"),
        "a");
    EXPECT_EQ(boost::json::serialize(c.providers["claude"].settings).find("sk-ant"), std::string::npos);
}

TEST(ConfigTest, InvalidValueMakesOnlyThatProviderUnavailableAndNamesTheVariable) {
    auto c = load_with({{"CLAUDE_TIMEOUT", "abc"}, {"OLLAMA_TIMEOUT", "30"}});
    EXPECT_EQ(c.providers["claude"].invalid_reason, "CLAUDE_TIMEOUT=\"abc\" is not a positive number of seconds");
    EXPECT_TRUE(c.providers["ollama"].invalid_reason.empty());
    EXPECT_EQ(c.providers["ollama"].settings.at("timeout_s").as_double(), 30.0);
    EXPECT_TRUE(c.errors.empty());
    EXPECT_NE(load_with({{"CLAUDE_MAX_TOKENS", "-5"}}).providers["claude"].invalid_reason.find("CLAUDE_MAX_TOKENS"),
              std::string::npos);
    EXPECT_NE(load_with({{"CLAUDE_MAX_RETRIES", "99"}}).providers["claude"].invalid_reason.find("CLAUDE_MAX_RETRIES"),
              std::string::npos);
    EXPECT_EQ(load_with({{"CLAUDE_MAX_RETRIES", "4"}}).providers["claude"].max_retries, 4);
}

TEST(ConfigTest, OllamaWindowAndThinkingFromTheEnvironment) {
    auto c = load_with({{"OLLAMA_NUM_CTX", "16384"}, {"OLLAMA_THINK", "yes"}});
    EXPECT_EQ(c.providers["ollama"].settings.at("num_ctx").as_int64(), 16384);
    EXPECT_EQ(c.providers["ollama"].settings.at("think").as_bool(), true);
    EXPECT_EQ(load_with({{"OLLAMA_NUM_CTX", "100"}}).providers["ollama"].invalid_reason,
              "OLLAMA_NUM_CTX=\"100\" is not a context window from 256 to 1048576 tokens");
    EXPECT_EQ(load_with({{"OLLAMA_THINK", "maybe"}}).providers["ollama"].invalid_reason,
              "OLLAMA_THINK=\"maybe\" is not true or false");
    EXPECT_EQ(load_with({{"AUTOARR_EXPLANATION_CACHE_DAYS", "7"}}).explanation_cache_days, 7);
    EXPECT_FALSE(load_with({{"AUTOARR_EXPLANATION_CACHE_DAYS", "0"}}).errors.empty());
}

TEST(ConfigTest, FileWithCommentsAndAnyPluginSection) {
    const char* file = R"({
      // routing
      "routing": {"provider": "my-plugin", "fallback_order": ["ollama"], "fallback_enabled": false},
      "providers": {
        "my-plugin": {"endpoint": "http://x", "api_key": "secret-1", "max_retries": 1,},
        "ollama": {"url": "http://file:11434", "model": "llama3"}
      }
    })";
    auto c = load_with({}, file);
    ASSERT_TRUE(c.errors.empty()) << c.errors[0];
    EXPECT_EQ(c.order(), (std::vector<std::string>{"my-plugin", "ollama"}));
    EXPECT_FALSE(c.fallback_enabled);
    EXPECT_EQ(c.providers["my-plugin"].settings.at("endpoint"), "http://x");
    EXPECT_FALSE(c.providers["my-plugin"].settings.contains("api_key"));
    EXPECT_EQ(c.providers["my-plugin"].secrets.at("api_key"), "secret-1");
    EXPECT_EQ(c.providers["my-plugin"].max_retries, 1);
    EXPECT_EQ(c.providers["ollama"].settings.at("model"), "llama3");
}

TEST(ConfigTest, FlagBeatsEnvBeatsFile) {
    const char* file = R"({"routing": {"provider": "from-file"}, "providers": {"ollama": {"model": "file-model"}}})";
    auto c = load_with({{"LLM_PROVIDER", "from-env"}, {"OLLAMA_MODEL", "env-model"}}, file, "from-flag");
    EXPECT_EQ(c.provider, "from-flag");
    EXPECT_EQ(c.providers["ollama"].settings.at("model"), "env-model");
    EXPECT_EQ(load_with({{"LLM_PROVIDER", "from-env"}}, file).provider, "from-env");
    EXPECT_EQ(load_with({}, file).provider, "from-file");
}

TEST(ConfigTest, BrokenFileIsAnErrorNamingTheFile) {
    auto c = load_with({}, "{\"routing\": [");
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_NE(c.errors[0].find("is not valid JSON"), std::string::npos);
    auto d = load_with({}, R"({"routing": {"fallback_enabled": "yes"}})");
    ASSERT_EQ(d.errors.size(), 1u);
    EXPECT_NE(d.errors[0].find("routing.fallback_enabled must be true or false"), std::string::npos);
}

// AUTOARR_CONFIG names the file when --config does not (the container sets
// /config/config.json); the default file is then not read.
TEST(ConfigTest, ConfigFileNamedByTheEnvironment) {
    test::TempDir dir;
    test::write_file(dir.path() / "named.json", R"({"routing": {"provider": "from-named"}})");
    test::write_file(dir.path() / "default.json", R"({"routing": {"provider": "from-default"}})");
    test::write_file(dir.path() / "flag.json", R"({"routing": {"provider": "from-flag-file"}})");
    Sources s;
    s.default_file = dir.path() / "default.json";
    EXPECT_EQ(load(s).provider, "from-default");
    s.env = {{"AUTOARR_CONFIG", (dir.path() / "named.json").string()}};
    auto named = load(s);
    EXPECT_TRUE(named.errors.empty());
    EXPECT_EQ(named.provider, "from-named");
    EXPECT_EQ(named.file, dir.path() / "named.json");
    s.file = dir.path() / "flag.json";
    EXPECT_EQ(load(s).provider, "from-flag-file");
    s.file.reset();
    s.env = {{"AUTOARR_CONFIG", ""}};  // empty: as if unset
    EXPECT_EQ(load(s).provider, "from-default");
}

TEST(ConfigTest, MissingFileNamedByTheEnvironmentIsAnErrorNamingBoth) {
    test::TempDir dir;
    Sources s;
    s.default_file = dir.path() / "absent-default.json";
    s.env = {{"AUTOARR_CONFIG", (dir.path() / "absent.json").string()}};
    auto c = load(s);
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_NE(c.errors[0].find("cannot read config file " + (dir.path() / "absent.json").string()), std::string::npos)
        << c.errors[0];
    EXPECT_NE(c.errors[0].find("AUTOARR_CONFIG"), std::string::npos) << c.errors[0];
}

// Issue 18, part 2: any plugin's settings and secret from the environment.
Config load_known(Environment env, std::vector<std::string> known, const std::string& file_text = "") {
    static test::TempDir dir;
    Sources s;
    s.env = std::move(env);
    s.default_file = dir.path() / "absent.json";
    s.known_provider_ids = std::move(known);
    if (!file_text.empty()) {
        test::write_file(dir.path() / "config.json", file_text);
        s.file = dir.path() / "config.json";
    }
    return load(s);
}

TEST(ConfigTest, ProviderVariablesSetAnyPluginsSettingsAndSecret) {
    auto c = load_known({{"AUTOARR_PROVIDER_OPENAI_BASE_URL", "http://127.0.0.1:8080"},
                         {"AUTOARR_PROVIDER_OPENAI_MODEL", "qwen2.5-7b"},
                         {"AUTOARR_PROVIDER_OPENAI_API_KEY", "sk-local"},
                         {"AUTOARR_PROVIDER_OPENAI_TIMEOUT_S", "30"},
                         {"AUTOARR_PROVIDER_OPENAI_STREAM_USAGE", "false"},
                         {"AUTOARR_PROVIDER_OPENAI_CONTEXT_WINDOW", "\"8192\""}},
                        {"ollama", "claude", "openai"});
    ASSERT_TRUE(c.errors.empty()) << c.errors.front();
    const auto& pc = c.providers.at("openai");
    EXPECT_EQ(pc.plugin, "openai");
    EXPECT_EQ(pc.settings.at("base_url"), "http://127.0.0.1:8080");
    EXPECT_EQ(pc.settings.at("model"), "qwen2.5-7b");
    EXPECT_EQ(pc.settings.at("timeout_s"), 30);           // a number stays a number
    EXPECT_EQ(pc.settings.at("stream_usage"), false);     // a boolean stays a boolean
    EXPECT_EQ(pc.settings.at("context_window"), "8192");  // quoted: text
    EXPECT_FALSE(pc.settings.contains("api_key"));        // a secret never becomes a setting
    EXPECT_EQ(pc.secrets.at("api_key"), "sk-local");
}

TEST(ConfigTest, ProviderVariablesBeatTheFileAndPickTheLongestId) {
    const std::string file = R"({"providers": {
        "lm-studio": {"plugin": "openai", "base_url": "http://127.0.0.1:1234", "model": "a"},
        "lm": {"plugin": "openai", "base_url": "http://127.0.0.1:1", "model": "b"}}})";
    auto c = load_known({{"AUTOARR_PROVIDER_LM_STUDIO_MODEL", "from-env"}}, {"openai"}, file);
    ASSERT_TRUE(c.errors.empty()) << c.errors.front();
    EXPECT_EQ(c.providers.at("lm-studio").settings.at("model"), "from-env");  // not lm's "studio_model"
    EXPECT_EQ(c.providers.at("lm-studio").plugin, "openai");
    EXPECT_FALSE(c.providers.at("lm-studio").settings.contains("plugin"));  // the host's key, not the plugin's
    EXPECT_EQ(c.providers.at("lm").settings.at("model"), "b");
    EXPECT_FALSE(c.providers.at("lm").settings.contains("studio_model"));
}

TEST(ConfigTest, AProviderVariableNamingNoProviderIsAnErrorNamingIt) {
    auto c = load_known({{"AUTOARR_PROVIDER_OPENIA_BASE_URL", "http://x"}}, {"ollama", "openai"});
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_NE(c.errors[0].find("AUTOARR_PROVIDER_OPENIA_BASE_URL names no provider"), std::string::npos) << c.errors[0];
    EXPECT_NE(c.errors[0].find("\"openai\""), std::string::npos) << c.errors[0];
}

// `autoarr audit` and `autoarr fix` read only the applications: a container's
// provider variables must not make them fail.
TEST(ConfigTest, ACommandWithoutProvidersIgnoresProviderVariables) {
    auto c = load_with({{"AUTOARR_PROVIDER_OPENAI_BASE_URL", "http://x"}, {"SABNZBD_URL", "http://127.0.0.1:8080"}});
    EXPECT_TRUE(c.errors.empty()) << c.errors.front();
    EXPECT_EQ(c.apps.at("sabnzbd").url, "http://127.0.0.1:8080");
}

TEST(ConfigTest, ProviderEnvNamesUpperCaseAndReplaceSeparators) {
    EXPECT_EQ(provider_env_name("lm-studio.local", "base_url"), "AUTOARR_PROVIDER_LM_STUDIO_LOCAL_BASE_URL");
}

// The variables commands read outside the Config (the one place that reads the environment).
TEST(ConfigTest, ServeAndCommandVariablesAreReadHereAndEmptyMeansUnset) {
    EXPECT_EQ(listen_address({{"AUTOARR_LISTEN", " 0.0.0.0:9000 "}}), "0.0.0.0:9000");
    EXPECT_EQ(listen_address({{"AUTOARR_LISTEN", ""}}), std::nullopt);
    EXPECT_EQ(api_token({{"AUTOARR_API_TOKEN", "tok en"}}), "tok en");  // kept whole: api_token_problem judges it
    EXPECT_EQ(api_token({}), "");
    EXPECT_EQ(rules_file({{"AUTOARR_RULES", "/x/rules.json"}}), std::filesystem::path("/x/rules.json"));
    EXPECT_EQ(rules_file({{"AUTOARR_RULES", ""}}), std::nullopt);
    EXPECT_EQ(log_level({{"AUTOARR_LOG_LEVEL", "debug"}}), "debug");
    EXPECT_EQ(log_level({}), std::nullopt);
    EXPECT_TRUE(no_color({{"NO_COLOR", "1"}}));
    EXPECT_FALSE(no_color({{"NO_COLOR", ""}}));  // no-color.org: present and not empty
    EXPECT_FALSE(no_color({}));
}

TEST(ConfigTest, TheDatabaseFollowsAutoarrDbThenXdgThenHome) {
    test::TempDir dir;
    EXPECT_EQ(db_path({{"AUTOARR_DB", "/data/a.db"}, {"XDG_DATA_HOME", dir.path().string()}}),
              std::filesystem::path("/data/a.db"));
    const auto xdg = db_path({{"XDG_DATA_HOME", (dir.path() / "xdg").string()}, {"HOME", "/nowhere"}});
    EXPECT_EQ(xdg, dir.path() / "xdg" / "autoarr" / "autoarr.db");
    EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "xdg" / "autoarr"));  // ready for the store
    EXPECT_EQ(db_path({{"HOME", (dir.path() / "home").string()}}),
              dir.path() / "home" / ".local" / "share" / "autoarr" / "autoarr.db");
}

TEST(ConfigTest, APluginRunnerGetsTheEnvironmentWithoutItsSecrets) {
    const Environment env = {{"PATH", "/usr/bin"},
                             {"HOME", "/root"},
                             {"SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt"},
                             {"HTTPS_PROXY", "http://proxy:3128"},
                             {"AUTOARR_PROVIDER_ACME_URL", "http://acme"},
                             {"ANTHROPIC_API_KEY", "sk-ant-1"},
                             {"CLAUDE_API_KEY", "sk-ant-2"},
                             {"SONARR_API_KEY", "s"},
                             {"AUTOARR_PROVIDER_ACME_API_KEY", "a"},
                             {"AUTOARR_API_TOKEN", "t"},
                             {"GITHUB_TOKEN", "g"},
                             {"aws_secret", "x"},
                             {"DB_PASSWORD", "p"},
                             {"AWS_SECRET_ACCESS_KEY", "k"},
                             {"AUTOARR_PROVIDER_X_APIKEY", "k"},
                             {"AUTOARR_PROVIDER_X_PASSWD", "p"},
                             {"AUTOARR_PROVIDER_X_PASSPHRASE", "p"},
                             {"AUTOARR_PROVIDER_X_ACCESSTOKEN", "t"},
                             {"AUTOARR_PROVIDER_X_CLIENTSECRET", "s"},
                             {"GOOGLE_CREDENTIALS", "c"},
                             {"SSH_KEY", "k"}};
    EXPECT_EQ(plugin_runner_environment(env),
              (std::vector<std::string>{"AUTOARR_PROVIDER_ACME_URL=http://acme", "HOME=/root",
                                        "HTTPS_PROXY=http://proxy:3128", "PATH=/usr/bin",
                                        "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}));
    EXPECT_TRUE(secret_variable("openai_api_key"));
    EXPECT_FALSE(secret_variable("KEYBOARD"));
    EXPECT_FALSE(secret_variable("TOKENS_PER_SECOND"));
}

}  // namespace
}  // namespace autoarr::config
