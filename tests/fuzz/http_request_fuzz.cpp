// The service's request path without a socket: the bytes a client sends go
// through the same steps, in the same order, as on a connection of
// core/server/http_server.cpp: Beast's parser with the server's header and
// body limits, the framing checks (request_framing.cpp), the Host/Origin/
// Content-Type guard (request_guard.cpp), the target's path and query, and
// the routes with their JSON validation (api.cpp) over a real store and the
// shipped rules, with no provider configured. Several requests in one input
// are read one after another, as on a keep-alive connection.
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <memory>

#include "sample_stack.h"
#include "server/api.h"
#include "server/request_framing.h"
#include "server/request_guard.h"

using namespace autoarr;
namespace bhttp = boost::beast::http;
namespace json = boost::json;

namespace {

// Every response is checked as it is sent: a status a client can read, and
// a JSON body where the content type says JSON.
class CheckingWriter : public server::ResponseWriter {
public:
    void send(const server::HttpResponse& r) override {
        FUZZ_CHECK(!sent_ && !streaming_, "one response per request");
        sent_ = true;
        check_status(r.status);
        if (r.content_type == "application/json" && r.status != 204) {
            json::error_code ec;
            (void)json::parse(r.body, ec);
            FUZZ_CHECK(!ec, "a JSON response is valid JSON");
        }
    }
    bool start_stream(int status, const std::string&) override {
        FUZZ_CHECK(!sent_ && !streaming_, "one response per request");
        check_status(status);
        streaming_ = true;
        return true;
    }
    bool write(std::string_view chunk) override {
        FUZZ_CHECK(streaming_ && !ended_, "stream writes only inside a stream");
        FUZZ_CHECK(chunk.rfind("event: ", 0) == 0 && chunk.ends_with("\n\n"), "each write is whole SSE events");
        return true;
    }
    void end_stream() override {
        FUZZ_CHECK(streaming_ && !ended_, "a stream ends once");
        ended_ = true;
    }
    bool answered() const { return sent_ || ended_; }

private:
    static void check_status(int status) {
        FUZZ_CHECK(status >= 200 && status <= 599, "a status a client can read");
        // 500 is an internal failure (the store, the sample stack): no request may cause one.
        FUZZ_CHECK(status != 500, "no request causes an internal error");
    }
    bool sent_ = false, streaming_ = false, ended_ = false;
};

struct Service {
    std::filesystem::path dir;
    std::unique_ptr<store::Store> store;
    routing::Router router{{}, routing::RouterOptions{}};
    server::ApiContext context;
    server::Handler handler;
    server::RequestGuard guard{server::GuardPolicy{"127.0.0.1", {}, {}}};
    server::ServerOptions limits;  // the server's defaults: header and body limits

    Service() {
        dir = std::filesystem::temp_directory_path() / ("autoarr-fuzz-http-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        open_store();
        context.router = &router;
        context.rules = &fuzz::sample_stack().rules;
        context.sample_stack = fuzz::source_path("examples/sample-stack");
        context.version = "fuzz";
        context.ready = true;
        handler = server::make_api(context);
    }
    // A long run stores millions of audits: start again from an empty file now and then.
    void open_store() {
        context.store = nullptr;
        store.reset();
        std::filesystem::remove_all(dir / "db");
        std::filesystem::create_directories(dir / "db");
        store = std::make_unique<store::Store>((dir / "db" / "autoarr.db").string());
        context.store = store.get();
    }
};

Service& service() {
    static Service s;
    return s;
}

// One request from the front of `bytes`; false when the connection would close.
bool one_request(Service& s, std::string_view& bytes) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(s.limits.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(s.limits.header_limit));
    boost::system::error_code ec;
    // Beast's parser reads from one buffer: the header must be in it whole
    // (need_more: the client is still sending); the body may take several calls.
    auto put = [&](bool header_only) {
        while (!bytes.empty() && !parser.is_done()) {
            const auto used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
            bytes.remove_prefix(used);
            if (ec || used == 0 || (header_only && parser.is_header_done())) return;
        }
    };
    put(true);
    if (ec || !parser.is_header_done()) return false;  // 400/431, or never finished (408)

    CheckingWriter w;
    if (auto refusal = server::framing_refusal(parser.get())) {
        w.send(server::HttpServer::error(refusal->status, refusal->code, refusal->message));
        return false;
    }
    server::HttpRequest request = server::request_from_header(parser.get());
    const auto length = parser.content_length();
    auto verdict = s.guard.check(request, parser.chunked() || (length && *length > 0));
    if (verdict.refusal) {
        w.send(server::HttpServer::error(verdict.refusal->status, verdict.refusal->code, verdict.refusal->message));
        return false;
    }
    put(false);  // the body
    if (ec || !parser.is_done()) return false;
    auto& msg = parser.get();
    request.body = std::move(msg.body());
    server::add_trailer_fields(request, msg);
    if (!server::split_target(request)) {
        w.send(server::HttpServer::error(400, "bad_request", "the request target is not a valid path"));
        return false;
    }
    if (verdict.preflight) return msg.keep_alive();
    s.handler(request, w);
    FUZZ_CHECK(w.answered(), "every request is answered");
    return msg.keep_alive();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Service& s = service();
    auto bytes = fuzz::as_text(data, size);
    for (int i = 0; i < 4 && !bytes.empty(); ++i)
        if (!one_request(s, bytes)) break;
    if (s.store->audit_count() > 2000) s.open_store();
    return 0;
}
