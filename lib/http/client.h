// A small HTTP/1.1 client on Boost.Beast, used by the host (the app connectors) and the plugins.
//
// Every connection owns a private io_context that the CALLING thread runs
// while a request is in flight, so all I/O and every callback happen on that
// thread (ABI-18) and no background thread exists (nothing to join at
// module shutdown). Deadlines bound every step; cancel() may be called from
// any thread (the host's cancel callback) and closes the socket promptly.
// Connections are kept alive in a small pool; a request that fails on a
// reused connection before any response byte is retried once on a new one.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "http/url.h"

namespace boost::asio::ssl {
class context;
}

namespace autoarr::http {

using Deadline = std::chrono::steady_clock::time_point;

enum class FailureKind {
    connect,    // resolve or connect failed (refused, unreachable)
    tls,        // handshake or certificate verification failed
    timeout,    // the deadline passed
    cancelled,  // cancel() was called
    io,         // the connection broke (reset, closed mid-response)
    protocol,   // the peer did not speak HTTP/1.1 properly
};

class HttpError : public std::runtime_error {
public:
    HttpError(FailureKind kind, const std::string& what, bool response_started = false)
        : std::runtime_error(what), kind_(kind), response_started_(response_started) {}
    FailureKind kind() const { return kind_; }
    bool response_started() const { return response_started_; }

private:
    FailureKind kind_;
    bool response_started_;
};

struct Header {
    std::string name;  // lower case
    std::string value;
};

struct Request {
    std::string method = "GET";
    std::string target;  // path and query, without the base URL's prefix
    std::vector<Header> headers;
    std::string body;
};

// A POST of a JSON body: headers, then content-type application/json.
Request json_post(std::string target, std::string body, std::vector<Header> headers = {});

struct ResponseHead {
    int status = 0;
    std::vector<Header> headers;
    const std::string* find(std::string_view lower_name) const;
};

struct ClientOptions {
    std::chrono::milliseconds connect_timeout{5000};
    std::size_t max_idle_connections = 8;
    std::string user_agent = "autoarr";
    std::string ca_file;  // TLS: extra trust anchors (PEM); the system store is always used
};

// One cancellable request in flight. Create it, hand cancel() to the host's
// cancel callback, then pass it to Client::perform.
class CallHandle {
public:
    void cancel();
    bool cancelled() const { return cancelled_.load(); }

private:
    friend class Client;
    std::mutex mutex_;
    std::function<void()> closer_;  // set while a connection is in use
    std::atomic<bool> cancelled_{false};
};

class Client {
public:
    // Throws std::invalid_argument when TLS is needed and the CA file cannot be loaded.
    Client(BaseUrl base, ClientOptions options = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    const BaseUrl& base() const { return base_; }

    // Sends the request and delivers the response: on_head once, then on_body
    // for every piece of the body as it arrives (return false to stop; the
    // connection is then discarded). Throws HttpError.
    void perform(const Request& request, Deadline deadline, CallHandle* handle,
                 const std::function<void(const ResponseHead&)>& on_head,
                 const std::function<bool(std::string_view)>& on_body);

    // Convenience: the whole body (up to max_body bytes).
    std::pair<ResponseHead, std::string> fetch(const Request& request, Deadline deadline, CallHandle* handle,
                                               std::size_t max_body = 64 * 1024 * 1024);

    std::size_t idle_connections() const;
    std::size_t connections_opened() const { return opened_.load(); }

private:
    class Connection;
    std::string request_head(const Request& request) const;  // throws std::invalid_argument
    std::unique_ptr<Connection> acquire(Deadline deadline, CallHandle* handle, bool& reused);
    void release(std::unique_ptr<Connection> c);

    BaseUrl base_;
    ClientOptions options_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
    mutable std::mutex pool_mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::atomic<std::size_t> opened_{0};
};

}  // namespace autoarr::http
