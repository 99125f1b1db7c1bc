// The HTTP transport in-process, over real loopback sockets: limits that the
// end-to-end tests cannot reach quickly (a client that stops reading), the
// threads-handle-requests model, and keep-alive framing.
#include "server/http_server.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "support/raw_http.h"

namespace autoarr::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

tcp::socket connect(asio::io_context& io, uint16_t port) {
    tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    return s;
}

ServerOptions loopback(unsigned workers) {
    ServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.workers = workers;
    return o;
}

std::string read_until_closed(tcp::socket& s, std::chrono::milliseconds limit = 10s) {
    return test::read_until_closed(s.native_handle(), limit);
}

// One GET on a new connection, "Connection: close": the whole answer.
std::string get_once(uint16_t port, const std::string& path, std::chrono::milliseconds limit = 10s) {
    asio::io_context io;
    auto s = connect(io, port);
    asio::write(s, asio::buffer("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    return read_until_closed(s, limit);
}

TEST(HttpServerTest, AClientThatStopsReadingIsDroppedAfterTheWriteTimeout) {
    ServerOptions o = loopback(1);
    o.write_timeout = 300ms;
    std::promise<std::pair<bool, std::chrono::steady_clock::duration>> result;
    HttpServer server(o, [&](const HttpRequest& r, ResponseWriter& w) {
        if (r.path != "/stream") {
            HttpResponse res;
            res.body = "free";
            return w.send(res);
        }
        const auto start = std::chrono::steady_clock::now();
        bool ok = w.start_stream(200, "text/plain");
        const std::string chunk(1 << 20, 'x');
        for (int i = 0; ok && i < 256; ++i) ok = w.write(chunk);  // 256 MiB: far beyond any socket buffer
        result.set_value({ok, std::chrono::steady_clock::now() - start});
    });
    server.start();
    asio::io_context io;
    auto s = connect(io, server.port());
    s.set_option(asio::socket_base::receive_buffer_size(4096));
    asio::write(s, asio::buffer(std::string("GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));
    // ... and never read. The handler's writes must fail, not block for ever.
    auto f = result.get_future();
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready) << "the handler is still blocked writing";
    auto [ok, took] = f.get();
    EXPECT_FALSE(ok);
    EXPECT_GE(took, 300ms);
    // The only thread is free again: another client is answered.
    EXPECT_NE(get_once(server.port(), "/").find("\r\n\r\nfree"), std::string::npos);
    server.stop(1s);
}

TEST(HttpServerTest, KeepAliveAnswersInOrderAndCloseIsHonoured) {
    HttpServer server(loopback(2), [](const HttpRequest& r, ResponseWriter& w) {
        HttpResponse res;
        res.body = r.path;
        res.headers.emplace_back("X-Injected", "a\r\nSet-Cookie: evil=1");  // CR/LF must not split headers
        w.send(res);
    });
    server.start();
    asio::io_context io;
    auto s = connect(io, server.port());
    asio::write(s, asio::buffer(std::string("GET /one HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                            "GET /two HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")));
    const std::string all = read_until_closed(s);
    const auto one = all.find("\r\n\r\n/one"), two = all.find("\r\n\r\n/two");
    ASSERT_NE(one, std::string::npos) << all;
    ASSERT_NE(two, std::string::npos) << all;
    EXPECT_LT(one, two);
    EXPECT_EQ(all.find("\r\nSet-Cookie"), std::string::npos) << all;
    EXPECT_NE(all.find("Connection: close"), std::string::npos) << all;
    server.stop(1s);
}

TEST(HttpServerTest, AtMostWorkersRequestsAreHandledAtOnce) {
    std::atomic<int> now{0}, peak{0};
    HttpServer server(loopback(3), [&](const HttpRequest&, ResponseWriter& w) {
        int n = ++now;
        for (int p = peak.load(); n > p && !peak.compare_exchange_weak(p, n);) {
        }
        std::this_thread::sleep_for(50ms);  // a blocking plugin call
        --now;
        HttpResponse res;
        res.body = "{}";
        w.send(res);
    });
    server.start();
    std::vector<std::thread> clients;
    std::atomic<int> answered{0};
    for (int i = 0; i < 8; ++i)
        clients.emplace_back([&] {
            if (get_once(server.port(), "/").rfind("HTTP/1.1 200", 0) == 0) ++answered;
        });
    for (auto& c : clients) c.join();
    EXPECT_EQ(answered.load(), 8);
    EXPECT_EQ(peak.load(), 3);  // bounded by the pool, and the pool was used in full
    server.stop(1s);
}

TEST(HttpServerTest, LightRoutesAreAnsweredWhileEverySlotWaitsOnASlowProvider) {
    std::mutex m;
    std::condition_variable cv;
    bool release = false;
    std::atomic<int> now{0}, peak{0};
    HttpServer server(
        loopback(2),
        [&](const HttpRequest& r, ResponseWriter& w) {
            if (r.path == "/slow") {
                int n = ++now;
                for (int p = peak.load(); n > p && !peak.compare_exchange_weak(p, n);) {
                }
                std::unique_lock lock(m);
                cv.wait(lock, [&] { return release; });
                --now;
            }
            HttpResponse res;
            res.body = r.path;
            w.send(res);
        },
        [](const HttpRequest& r) { return r.path == "/slow"; });
    server.start();
    // Three slow requests for two slots: two run and block, one waits its turn.
    std::vector<std::thread> slow;
    std::atomic<int> slow_answered{0};
    for (int i = 0; i < 3; ++i)
        slow.emplace_back([&] {
            if (get_once(server.port(), "/slow").find("\r\n\r\n/slow") != std::string::npos) ++slow_answered;
        });
    for (int i = 0; i < 200 && (now.load() < 2 || server.in_flight() < 3); ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(now.load(), 2);
    EXPECT_EQ(server.in_flight(), 3u);  // the third is accepted and waiting, not refused
    // Every slot is taken, yet a light request is answered at once.
    const auto start = std::chrono::steady_clock::now();
    EXPECT_NE(get_once(server.port(), "/health", 3s).find("\r\n\r\n/health"), std::string::npos);  // fails, not hangs
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    for (auto& t : slow) t.join();
    EXPECT_EQ(slow_answered.load(), 3);
    EXPECT_EQ(peak.load(), 2);
    server.stop(1s);
}

}  // namespace
}  // namespace autoarr::server
