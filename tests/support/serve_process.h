// `autoarr serve`, the real binary, as a child process on a free loopback
// port, and a client for it over real sockets.
#pragma once

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "support/child_process.h"
#include "support/loopback_http.h"
#include "support/run_process.h"

#ifndef AUTOARR_BINARY
#error "AUTOARR_BINARY must name the autoarr executable"
#endif

namespace autoarr::test {

inline uint16_t free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

struct Reply {
    int status = 0;
    std::string body;
    http::ResponseHead head;
    boost::json::value json() const { return boost::json::parse(body); }
};

class Serve {
public:
    // env: "NAME=value" assignments for the child; args: extra serve arguments.
    // wrapper: a command the binary runs under (e.g. a shell that lowers a limit first).
    Serve(const std::filesystem::path& db, std::vector<std::string> env, std::vector<std::string> args,
          std::vector<std::string> wrapper = {})
        : port_(free_port()) {
        std::vector<std::string> argv = {"env"};
        argv.insert(argv.end(), env.begin(), env.end());
        argv.insert(argv.end(), wrapper.begin(), wrapper.end());
        argv.insert(argv.end(),
                    {AUTOARR_BINARY, "--log-level", "warn", "serve", "--listen", "127.0.0.1:" + std::to_string(port_),
                     "--db", db.string(), "--health-interval", "0.2"});
        argv.insert(argv.end(), args.begin(), args.end());
        log_ = (db.parent_path() / ("serve-" + std::to_string(port_) + ".log")).string();
        proc_ = std::make_unique<ChildProcess>(argv, log_);
        using namespace std::chrono_literals;
        for (int i = 0; i < 200; ++i) {
            try {
                if (get("/health/ready").status == 200) return;
            } catch (...) {
            }
            std::this_thread::sleep_for(50ms);
        }
        throw std::runtime_error("autoarr serve did not become ready: " + read_file(log_));
    }
    Reply call(const std::string& method, const std::string& target, const std::string& body = "",
               std::vector<http::Header> headers = {}) {
        auto [head, text] = loopback_request(port_, method, target, body, std::move(headers));
        return Reply{head.status, text, head};
    }
    Reply get(const std::string& t, std::vector<http::Header> h = {}) { return call("GET", t, "", std::move(h)); }
    Reply post(const std::string& t, const std::string& b, std::vector<http::Header> h = {}) {
        return call("POST", t, b, std::move(h));
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    uint16_t port() const { return port_; }
    void kill9() { proc_->signal(SIGKILL); }
    ChildProcess& process() { return *proc_; }
    std::string log() const { return read_file(log_); }

private:
    uint16_t port_;
    std::string log_;
    std::unique_ptr<ChildProcess> proc_;
};

}  // namespace autoarr::test
