// The attacks of issue #13 on the transport, in-process over real loopback
// sockets with raw bytes: framing that lets a request smuggle another,
// trailers and chunk extensions without end, a request that never arrives,
// clients that queue, leave or never read, and more connections than
// descriptors. Each was answered wrongly (or not at all) before.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "plugin/host_services.h"
#include "server/http_server.h"
#include "support/raw_http.h"

namespace autoarr::server {
namespace {

using namespace std::chrono_literals;
using test::RawSocket;
using test::status_of;

ServerOptions loopback(unsigned workers = 2) {
    ServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.workers = workers;
    return o;
}

// Answers every request with its path, counting them.
struct Echo {
    std::atomic<int> handled{0};
    Handler handler() {
        return [this](const HttpRequest& r, ResponseWriter& w) {
            ++handled;
            HttpResponse res;
            res.body = r.path;
            w.send(res);
        };
    }
};

const char* kChunkedHead =
    "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

// Sends `first`, then `filler` over and over (up to `total` bytes) until the
// server answers; returns the answer. The server must answer long before `total`.
std::string flood_until_answered(RawSocket& s, const std::string& first, std::size_t total) {
    EXPECT_TRUE(s.send(first));
    const std::string filler(64 * 1024, 'a');
    for (std::size_t sent = 0; sent < total && !s.readable(); sent += filler.size())
        if (!s.send(filler)) break;
    return s.read_until_closed(5s);
}

// Sends `first` and then endless filler: the server must answer `status`
// with `code` and close, no handler may run, and memory must not grow.
void expect_flood_refused(const std::string& first, std::size_t total, int status, const char* code) {
    Echo echo;
    HttpServer server(loopback(), echo.handler());
    server.start();
    const auto before = test::resident_bytes();
    RawSocket s(server.port());
    const std::string answer = flood_until_answered(s, first, total);
    EXPECT_EQ(status_of(answer), status) << answer;
    EXPECT_NE(answer.find(code), std::string::npos) << answer;
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
    EXPECT_LT(test::resident_bytes(), before + (32u << 20)) << "the flood was buffered";
    EXPECT_EQ(echo.handled.load(), 0);
    server.stop(1s);
}

TEST(HostileClientTest, EndlessChunkTrailersAreRefusedWithoutGrowingMemory) {
    // One small chunk, the last chunk, then one trailer field that never ends.
    expect_flood_refused(std::string(kChunkedHead) + "2\r\n{}\r\n0\r\nX-Trailer: ", 200u << 20, 431,
                         "trailers_too_large");
}

TEST(HostileClientTest, AFiftyMegabyteChunkExtensionIsRefusedWithoutGrowingMemory) {
    expect_flood_refused(std::string(kChunkedHead) + "2;ext=", 50u << 20, 400, "chunk_header_too_large");
}

TEST(HostileClientTest, TransferEncodingOtherThanChunkedCannotSmuggleARequest) {
    struct Case {
        std::string framing;
        int status;
    };
    const Case cases[] = {
        {"Transfer-Encoding: gzip\r\n", 400},
        {"Transfer-Encoding: xchunked\r\n", 400},
        {"Transfer-Encoding: identity\r\n", 400},
        {"Transfer-Encoding: chunked, chunked\r\n", 400},
        {"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", 400},
        {"Transfer-Encoding: gzip, chunked\r\n", 501},
        {"Transfer-Encoding: chunked\r\nContent-Length: 40\r\n", 400},
    };
    Echo echo;
    HttpServer server(loopback(), echo.handler());
    server.start();
    for (const auto& c : cases) {
        RawSocket s(server.port());
        // A proxy that frames by Content-Length (or ignores an unknown coding)
        // sees one request; the body is a second one, aimed past it.
        const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        s.send("POST /outer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + c.framing + "\r\n" +
               smuggled);
        const std::string answer = s.read_until_closed(5s);
        EXPECT_EQ(status_of(answer), c.status) << c.framing << answer;
        EXPECT_EQ(test::responses_in(answer), 1) << c.framing << answer;
        EXPECT_EQ(answer.find("/smuggled"), std::string::npos) << c.framing << answer;
        EXPECT_NE(answer.find("Connection: close"), std::string::npos) << c.framing << answer;
    }
    EXPECT_EQ(echo.handled.load(), 0);
    // Plain chunked is still fine.
    RawSocket ok(server.port());
    ok.send(std::string(kChunkedHead) + "2\r\n{}\r\n0\r\n\r\n");
    EXPECT_NE(ok.read_until_closed(1s).find("\r\n\r\n/upload"), std::string::npos);
    server.stop(1s);
}

TEST(HostileClientTest, ARequestNotReceivedInTimeGetsA408BeforeTheClose) {
    Echo echo;
    ServerOptions o = loopback();
    o.read_timeout = 300ms;
    HttpServer server(o, echo.handler());
    server.start();
    {  // half a header
        RawSocket s(server.port());
        s.send("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        const std::string answer = s.read_until_closed(5s);
        EXPECT_EQ(status_of(answer), 408) << answer;
        EXPECT_NE(answer.find("request_timeout"), std::string::npos) << answer;
    }
    {  // half a body
        RawSocket s(server.port());
        s.send(
            "POST /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{");
        EXPECT_EQ(status_of(s.read_until_closed(5s)), 408);
    }
    {  // nothing at all
        RawSocket s(server.port());
        EXPECT_EQ(status_of(s.read_until_closed(5s)), 408);
    }
    {  // a kept-alive connection that merely sits idle after its answer is closed quietly
        RawSocket s(server.port());
        s.send("GET /one HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        const std::string all = s.read_until_closed(5s);
        EXPECT_EQ(test::responses_in(all), 1) << all;
        EXPECT_EQ(status_of(all), 200) << all;
    }
    EXPECT_EQ(echo.handled.load(), 1);
    server.stop(1s);
}

TEST(HostileClientTest, AnHttp11RequestWithoutHostIs400) {
    Echo echo;
    HttpServer server(loopback(), echo.handler());
    server.start();
    RawSocket s(server.port());
    s.send("GET /health HTTP/1.1\r\n\r\n");
    const std::string answer = s.read_until_closed(5s);
    EXPECT_EQ(status_of(answer), 400) << answer;
    EXPECT_NE(answer.find("Host header"), std::string::npos) << answer;
    RawSocket twice(server.port());
    twice.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: localhost\r\n\r\n");
    EXPECT_EQ(status_of(twice.read_until_closed(5s)), 400);
    RawSocket old(server.port());  // HTTP/1.0 has no Host requirement
    old.send("GET /health HTTP/1.0\r\n\r\n");
    EXPECT_EQ(status_of(old.read_until_closed(5s)), 200);
    EXPECT_EQ(echo.handled.load(), 1);
    server.stop(1s);
}

// A handler for requests that may block: /slow waits for its cancel token
// (a provider call that honours cancellation), up to 10 s.
struct Blocking {
    std::atomic<int> started{0}, cancelled{0};
    Handler handler() {
        return [this](const HttpRequest& r, ResponseWriter& w) {
            if (r.path == "/slow") {
                ++started;
                for (int i = 0; i < 1000 && !r.cancel->cancelled(); ++i) std::this_thread::sleep_for(10ms);
                if (r.cancel->cancelled()) ++cancelled;
            }
            HttpResponse res;
            res.body = r.path;
            w.send(res);
        };
    }
    static bool may_block(const HttpRequest& r) { return r.path == "/slow"; }
};

const std::string kSlow = "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

template <typename F>
bool eventually(F f, std::chrono::milliseconds limit = 5s) {
    for (const auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(10ms))
        if (f()) return true;
    return f();
}

TEST(HostileClientTest, AFullQueueIsAnswered503WithRetryAfter) {
    Blocking b;
    ServerOptions o = loopback(1);
    o.queue_limit = 1;
    HttpServer server(o, b.handler(), &Blocking::may_block);
    server.start();
    {
        RawSocket running(server.port()), waiting(server.port()), refused(server.port());
        running.send(kSlow);
        ASSERT_TRUE(eventually([&] { return b.started.load() == 1; }));
        waiting.send(kSlow);
        ASSERT_TRUE(eventually([&] { return server.in_flight() == 2; }));
        refused.send("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        const std::string answer = refused.read_until_closed(3s);
        EXPECT_EQ(status_of(answer), 503) << answer;
        EXPECT_NE(answer.find("Retry-After: "), std::string::npos) << answer;
        EXPECT_NE(answer.find("overloaded"), std::string::npos) << answer;
        EXPECT_EQ(b.started.load(), 1);
    }
    server.stop(1s);
}

TEST(HostileClientTest, AbandonedRequestsDoNotStartAndRunningOnesAreCancelled) {
    Blocking b;
    HttpServer server(loopback(1), b.handler(), &Blocking::may_block);
    server.start();
    {
        RawSocket running(server.port());
        running.send(kSlow);
        ASSERT_TRUE(eventually([&] { return b.started.load() == 1; }));
        std::vector<RawSocket> queued;
        for (int i = 0; i < 20; ++i) {
            queued.emplace_back(server.port());
            queued.back().send(kSlow);
        }
        ASSERT_TRUE(eventually([&] { return server.in_flight() == 21; }));
        std::this_thread::sleep_for(200ms);
    }  // every client leaves after 0.2 s
    // The running call sees its token cancelled, and none of the queued ones start.
    EXPECT_TRUE(eventually([&] { return b.cancelled.load() == 1; }, 3s));
    EXPECT_TRUE(eventually([&] { return server.in_flight() == 0; }, 3s));
    EXPECT_EQ(b.started.load(), 1);
    server.stop(1s);
}

TEST(HostileClientTest, StreamingClientsThatNeverReadReleaseTheirSlots) {
    ServerOptions o = loopback(2);
    o.response_timeout = 1s;
    std::atomic<int> streams_ended{0};
    HttpServer server(
        o,
        [&](const HttpRequest& r, ResponseWriter& w) {
            if (r.path == "/sse") {  // a model that streams tokens for a minute, honouring cancellation
                bool ok = w.start_stream(200, "text/event-stream");
                for (int i = 0; ok && i < 6000 && !r.cancel->cancelled(); ++i) {
                    ok = w.write("event: token\ndata: {\"delta\":\"" + std::string(200, 'x') + "\"}\n\n");
                    std::this_thread::sleep_for(10ms);
                }
                ++streams_ended;
                return w.end_stream();
            }
            HttpResponse res;
            res.body = r.path;
            w.send(res);
        },
        [](const HttpRequest& r) { return r.path == "/sse" || r.path == "/audit"; });
    server.start();
    std::vector<RawSocket> readers_who_never_read;
    for (int i = 0; i < 2; ++i) {
        readers_who_never_read.emplace_back(server.port(), 4096);
        readers_who_never_read.back().send("GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    }
    ASSERT_TRUE(eventually([&] { return server.in_flight() == 2; }));
    std::this_thread::sleep_for(500ms);  // the audit's own second starts later than theirs
    // Both slots are taken; an audit waits, but not for the minute the streams would take.
    const auto start = std::chrono::steady_clock::now();
    RawSocket audit(server.port());
    audit.send("GET /audit HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    EXPECT_NE(audit.read_until_closed(10s).find("\r\n\r\n/audit"), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
    EXPECT_TRUE(eventually([&] { return streams_ended.load() == 2; }, 2s));
    server.stop(1s);
}

TEST(HostileClientTest, AtTheConnectionCapHealthStillAnswers) {
    Echo echo;
    ServerOptions o = loopback();
    o.max_connections = 20;
    HttpServer server(o, echo.handler());
    server.start();
    std::vector<RawSocket> idle;
    for (int i = 0; i < 60; ++i) {
        idle.emplace_back(server.port());
        if (i % 2) idle.back().send("GET /slowloris HTTP/1.1\r\n");  // half of them trickle a header
    }
    ASSERT_TRUE(eventually([&] { return server.connections() <= 20; }));
    RawSocket health(server.port());
    health.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    EXPECT_NE(health.read_until_closed(3s).find("\r\n\r\n/health"), std::string::npos);
    // Connections still in the kernel's backlog when the count first dropped are
    // accepted (and the oldest idle ones evicted) a moment later: the cap holds
    // once the accepts are done.
    EXPECT_TRUE(eventually([&] { return server.connections() <= 21; }));
    // The oldest idle connections were the ones closed.
    EXPECT_TRUE(idle.front().closed_within(1s));
    server.stop(1s);
}

TEST(HostileClientTest, AtTheCapWithEveryConnectionBusyANewOneGets503) {
    Blocking b;
    ServerOptions o = loopback(1);
    o.max_connections = 2;
    HttpServer server(o, b.handler(), &Blocking::may_block);
    server.start();
    {
        RawSocket running(server.port()), waiting(server.port());
        running.send(kSlow);
        waiting.send(kSlow);
        ASSERT_TRUE(eventually([&] { return server.in_flight() == 2; }));
        RawSocket third(server.port());
        const std::string answer = third.read_until_closed(3s);
        EXPECT_EQ(status_of(answer), 503) << answer;
        EXPECT_NE(answer.find("too_many_connections"), std::string::npos) << answer;
        EXPECT_NE(answer.find("Retry-After: "), std::string::npos) << answer;
    }
    server.stop(1s);
}

TEST(HostileClientTest, TheConnectionCapLeavesAReserveBelowTheOpenFileLimit) {
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    rlimit low = saved;
    low.rlim_cur = 300;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    ServerOptions o = loopback();
    o.max_connections = 1024;
    HttpServer server(o, [](const HttpRequest&, ResponseWriter&) {});
    ::setrlimit(RLIMIT_NOFILE, &saved);
    EXPECT_EQ(server.max_connections(), 300 - kReservedFileDescriptors);
}

}  // namespace
}  // namespace autoarr::server
