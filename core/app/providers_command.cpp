#include "app/providers_command.h"

#include <boost/json.hpp>
#include <cstdio>
#include <iostream>

#include "app/cli_args.h"
#include "app/host.h"
#include "routing/view_json.h"
#include "util/strings.h"

namespace autoarr::app {
namespace json = boost::json;
namespace {

void print_failure(const routing::RouteResult& r) {
    std::cerr << "autoarr chat: every provider failed: " << r.status.message << "\n";
    for (const auto& at : r.attempts)
        std::cerr << "  " << at.provider << ": " << at.outcome << (at.reason.empty() ? "" : " (" + at.reason + ")")
                  << "\n";
}

}  // namespace

int run_providers_command(const std::vector<std::string>& args) {
    CliArgs a(args, {"--json", "--no-builtin-plugins", "--help"}, with_host_flags({}));
    const std::string usage = "usage: autoarr providers [--json] [--config FILE] [--plugin-dir DIR]...\n";
    if (auto code = usage_exit(a, "providers", usage, false,
                               usage + "Checks every provider once and lists them in routing order.\n"))
        return *code;
    auto host = build_host(host_options(a));
    for (const auto& e : host->errors) std::cerr << "autoarr providers: " << e << "\n";
    host->router->check_health();
    auto views = host->router->providers();
    if (a.has("--json")) {
        std::cout << routing::providers_json(views) << "\n";
    } else if (views.empty()) {
        std::cout << "no providers loaded (see: autoarr plugins list)\n";
    } else {
        std::printf("%-14s %-8s %-11s %-9s %-8s %s\n", "ID", "PRIORITY", "STATE", "BREAKER", "LATENCY",
                    "REASON / MODELS");
        for (const auto& v : views) {
            std::string detail = v.reason;
            if (detail.empty())
                for (const auto& m : v.models) detail += (detail.empty() ? "" : ", ") + m;
            std::string latency = v.latency_ms >= 0 ? std::to_string(v.latency_ms) + " ms" : "-";
            std::printf("%-14s %-8d %-11s %-9s %-8s %s\n", v.id.c_str(), v.priority,
                        std::string(routing::state_name(v.state)).c_str(), v.breaker.c_str(), latency.c_str(),
                        detail.c_str());
        }
    }
    return host->errors.empty() ? 0 : 2;
}

int run_chat_command(const std::vector<std::string>& args) {
    static const char* usage =
        "usage: autoarr chat [--provider ID] [--model M] [--stream] [--json] [--timeout SECONDS] MESSAGE...\n";
    CliArgs a(args, {"--json", "--stream", "--no-builtin-plugins", "--help"},
              with_host_flags({"--model", "--timeout"}));
    if (auto code = usage_exit(a, "chat", usage, true)) return *code;
    if (a.positional().empty()) {
        std::cerr << "autoarr chat: no message given\n" << usage;
        return 2;
    }
    std::string message;
    for (const auto& w : a.positional()) message += (message.empty() ? "" : " ") + w;

    routing::RouteRequest req;
    json::object body;
    if (auto m = a.value("--model")) body["model"] = *m;
    body["messages"] = json::array{json::object{{"role", "user"}, {"content", message}}};
    req.request_json = json::serialize(body);
    req.provider = a.value("--provider");
    if (auto t = a.value("--timeout")) {
        const double s = util::parse_number(*t).value_or(0);
        if (!(s > 0)) {
            std::cerr << "autoarr chat: --timeout \"" << *t << "\" is not a positive number of seconds\n";
            return 2;
        }
        req.deadline = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
    }

    HostOptions ho = host_options(a);
    auto host = build_host(ho);
    if (!host->errors.empty()) {
        for (const auto& e : host->errors) std::cerr << "autoarr chat: " << e << "\n";
        return 2;
    }

    routing::RouteResult r;
    std::string streamed;
    json::object done;
    if (a.has("--stream")) {
        r = host->router->stream(req, [&](uint32_t kind, std::string_view data) {
            if (kind == AUTOARR_EVENT_TEXT_DELTA) {
                streamed.append(data);
                if (!a.has("--json")) {
                    std::fwrite(data.data(), 1, data.size(), stdout);
                    std::fflush(stdout);
                }
            } else if (kind == AUTOARR_EVENT_DONE || kind == AUTOARR_EVENT_USAGE) {
                json::error_code ec;
                auto v = json::parse(data, ec);
                if (!ec && v.is_object())
                    for (const auto& kv : v.get_object()) done[kv.key()] = kv.value();
            }
            return true;
        });
        if (!a.has("--json") && !streamed.empty()) std::cout << "\n";
    } else {
        r = host->router->complete(req);
    }
    if (!r.status.ok()) {
        if (r.partial) std::cerr << "autoarr chat: the stream broke after partial output\n";
        print_failure(r);
        return 1;
    }
    json::object response;
    if (a.has("--stream")) {
        response = done;
        response["content"] = streamed;
    } else {
        json::error_code ec;
        auto v = json::parse(r.response_json, ec);
        if (ec || !v.is_object()) {
            std::cerr << "autoarr chat: provider " << r.provider << " returned malformed JSON\n";
            return 1;
        }
        response = v.get_object();
    }
    if (a.has("--json")) {
        json::object out;
        for (const char* k : {"content", "model", "usage", "finish_reason"})
            out[k] = response.contains(k) ? response.at(k) : json::value(nullptr);
        out["provider"] = r.provider;
        out["attempts"] = routing::attempts_array(r.attempts);
        std::cout << json::serialize(out) << "\n";
    } else if (!a.has("--stream")) {
        const auto* c = response.if_contains("content");
        std::cout << (c && c->is_string() ? std::string(c->get_string()) : std::string()) << "\n";
    }
    return 0;
}

}  // namespace autoarr::app
