// A protocol fixture server on loopback: real sockets, one thread per
// connection, keep-alive. It serves fixture bodies byte for byte, with
// chunked transfer encoding split by a delivery plan (1 byte per write, at
// listed offsets, random sizes), can drop a connection mid-body, can hang,
// and records every request it received. With TLS it serves HTTPS.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace autoarr::test {

struct ReceivedRequest {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
};

struct FixtureResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  // sent as given
    std::string body;
    bool chunked = false;                // Transfer-Encoding: chunked (else Content-Length)
    std::vector<std::size_t> pieces;     // sizes of successive writes of the body; empty = one write
    std::optional<std::size_t> drop_at;  // close after this many body bytes, unterminated
    std::chrono::milliseconds piece_delay{0};
    bool hang = false;         // send nothing; hold the connection until the server stops
    bool close_after = false;  // Connection: close
};

using Handler = std::function<FixtureResponse(const ReceivedRequest&)>;

// Delivery plans (sizes of successive writes) for a body of n bytes.
std::vector<std::size_t> plan_bytewise(std::size_t n);
std::vector<std::size_t> plan_at_offsets(std::size_t n, const std::vector<std::size_t>& offsets);
std::vector<std::size_t> plan_random(std::size_t n, unsigned seed, std::size_t max_piece = 17);
// One write per line (through its LF), as a streaming server sends NDJSON.
std::vector<std::size_t> plan_lines(std::string_view body);

class FixtureServer {
public:
    struct Tls {
        std::string cert_file;  // PEM chain
        std::string key_file;   // PEM key
    };
    // port 0 picks a free one; a given port lets a test bring a server up
    // where a client already expects one.
    explicit FixtureServer(std::optional<Tls> tls = std::nullopt, uint16_t port = 0);
    ~FixtureServer();
    FixtureServer(const FixtureServer&) = delete;
    FixtureServer& operator=(const FixtureServer&) = delete;

    uint16_t port() const { return port_; }
    std::string url() const;  // http(s)://127.0.0.1:<port>

    // Handlers are matched by method and exact path (the target without its query);
    // an unmatched request gets gin's plain-text 404.
    void on(const std::string& method, const std::string& path, Handler handler);
    void clear_handlers();

    std::vector<ReceivedRequest> requests() const;
    // Whether requests() keeps what arrives (default on); a long soak turns it off.
    void record_requests(bool on);
    std::size_t connections() const { return connections_.load(); }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    uint16_t port_ = 0;
    std::atomic<std::size_t> connections_{0};
};

// Reads a fixture file (tests/fixtures/...) as bytes.
std::string fixture_bytes(const std::string& relative_path);

}  // namespace autoarr::test
