// The HTTP/1.1 transport on Boost.Beast: asynchronous accept and read on a
// bounded pool of threads that also run the handlers (plugin calls block; at
// most `workers` of those run at once, and one thread is always left for
// everything else), keep-alive, limits on header size, body size, read time
// and write time, and a graceful stop that drains in-flight requests up to a
// deadline. Each connection is a strand: its reads, its timer and its handler
// never run at the same time (docs/decisions/0005-handlers-on-io-threads.md).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace autoarr::plugin {
class CancelToken;
}

namespace autoarr::server {

struct HttpRequest {
    std::string method;
    std::string target;  // path + query
    std::string path;
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    // Cancelled when the client hangs up or the response timeout passes;
    // hand it to provider calls (RouteRequest::cancel). Null outside a server.
    plugin::CancelToken* cancel = nullptr;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

// Given to a handler: send one response, or stream (server-sent events).
class ResponseWriter {
public:
    virtual ~ResponseWriter() = default;
    virtual void send(const HttpResponse& response) = 0;
    // Starts a chunked response; write() sends one chunk at once (never
    // buffered) and returns false when the client is gone.
    virtual bool start_stream(int status, const std::string& content_type) = 0;
    virtual bool write(std::string_view chunk) = 0;
    virtual void end_stream() = 0;
};

using Handler = std::function<void(const HttpRequest&, ResponseWriter&)>;

// Says whether handling a request may block for long (a provider call). At
// most `workers` such requests are handled at once; the others wait their
// turn without holding a thread. Every other request is handled at once, on
// a thread kept free for them, so /health answers while every worker waits
// on a slow model. Null: every request may block.
using MayBlock = std::function<bool(const HttpRequest&)>;

struct ServerOptions {
    std::string address = "127.0.0.1";
    uint16_t port = 8000;  // 0: any free port
    std::size_t body_limit = 8 * 1024 * 1024;
    std::size_t header_limit = 16 * 1024;
    std::chrono::milliseconds read_timeout{30000};
    std::chrono::milliseconds write_timeout{30000};  // per write: a client that stops reading is dropped
    // A whole response, from the moment its request is read (a wait for a
    // slot included) to its last byte: then the request's cancel token fires
    // and every further write fails.
    std::chrono::milliseconds response_timeout{300000};
    unsigned workers = 4;          // requests that may block handled at once; threads = workers + 1
    std::size_t queue_limit = 64;  // requests that may block, waiting for a slot; more get 503 + Retry-After
    // Open connections; at the cap the longest-idle one is closed to make room
    // (so /health still answers), lowered to fit the open-file limit with a reserve.
    std::size_t max_connections = 1024;
    // Host names and cross-origin callers allowed besides this server's own (request_guard.h).
    std::vector<std::string> allowed_hosts;
    std::vector<std::string> allowed_origins;
};

// File descriptors kept free beyond the connection cap: the store, plugins,
// upstream sockets, and the connection accepted at the cap.
constexpr std::size_t kReservedFileDescriptors = 64;

class HttpServer {
public:
    // Binds at once; throws std::runtime_error naming the address when it cannot.
    HttpServer(const ServerOptions& options, Handler handler, MayBlock may_block = nullptr);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    uint16_t port() const { return port_; }
    void start();  // starts the threads
    // Stops accepting, lets in-flight requests finish up to `drain`, then stops.
    void stop(std::chrono::milliseconds drain = std::chrono::seconds(10));
    std::size_t in_flight() const { return in_flight_.load(); }
    std::size_t connections() const;      // open now
    std::size_t max_connections() const;  // the cap in effect (after the open-file limit)

    // A JSON error body: {"error": {"code": ..., "message": ...}}.
    static HttpResponse error(int status, const std::string& code, const std::string& message);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    uint16_t port_ = 0;
    std::atomic<std::size_t> in_flight_{0};
};

}  // namespace autoarr::server
