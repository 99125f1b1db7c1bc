// Raw bytes on a loopback TCP socket: for requests no well-behaved client
// would send (smuggling attempts, endless trailers, half a header) and for
// clients that connect and never read. POSIX calls, so every byte is ours.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace autoarr::test {

class RawSocket {
public:
    // Connects to 127.0.0.1:port; `receive_buffer` > 0 shrinks the receive
    // buffer first (a client that reads nothing then holds little).
    explicit RawSocket(uint16_t port, int receive_buffer = 0) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        if (fd_ < 0) throw std::runtime_error("socket() failed");
        if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd_);
            throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
        }
    }
    ~RawSocket() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawSocket(const RawSocket&) = delete;
    RawSocket& operator=(const RawSocket&) = delete;
    RawSocket(RawSocket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

    int fd() const { return fd_; }

    // False when the peer is gone (never raises SIGPIPE).
    bool send(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Does the server have something for us (an answer, or its close) within `wait`?
    bool readable(std::chrono::milliseconds wait = std::chrono::milliseconds(0)) const {
        pollfd p{fd_, POLLIN, 0};
        return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
    }

    // Everything the server sends until it closes, or what came within `limit`.
    std::string read_until_closed(std::chrono::milliseconds limit = std::chrono::seconds(10));

    // Did the server close the connection (EOF) within `limit`, having sent nothing more?
    bool closed_within(std::chrono::milliseconds limit) {
        if (!readable(limit)) return false;
        char c;
        return ::recv(fd_, &c, 1, MSG_PEEK) <= 0;
    }

private:
    int fd_;
};

// Everything the peer of `fd` sends until it closes, or what came within
// `limit`. (Asio's blocking read would wait for ever: it polls without a timeout.)
inline std::string read_until_closed(int fd, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return out;
        out.append(buf, static_cast<std::size_t>(n));
    }
}

inline std::string RawSocket::read_until_closed(std::chrono::milliseconds limit) {
    return test::read_until_closed(fd_, limit);
}

// The status code of the first response in `bytes`, or 0.
inline int status_of(const std::string& bytes) {
    if (bytes.size() < 12 || bytes.rfind("HTTP/1.", 0) != 0) return 0;
    return std::stoi(bytes.substr(9, 3));
}

// How many responses `bytes` holds (status lines at the start of a line).
inline int responses_in(const std::string& bytes) {
    int n = bytes.rfind("HTTP/1.1 ", 0) == 0 ? 1 : 0;
    for (std::size_t at = 0; (at = bytes.find("\r\nHTTP/1.1 ", at)) != std::string::npos; ++at) ++n;
    return n;
}

// This process's resident memory, from /proc/self/statm.
inline std::size_t resident_bytes() {
    std::ifstream in("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    in >> pages >> resident;
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace autoarr::test
