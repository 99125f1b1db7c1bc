#include "server/socket_writer.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>

namespace autoarr::server {

bool write_all(int fd, std::initializer_list<std::string_view> pieces, std::chrono::steady_clock::time_point deadline) {
    std::array<iovec, 8> iov{};
    std::size_t n = 0;
    for (auto p : pieces) {
        if (p.empty()) continue;
        if (n == iov.size()) return false;  // a caller bug; never more than a few pieces
        iov[n++] = {const_cast<char*>(p.data()), p.size()};
    }
    std::size_t first = 0;  // the first iovec with bytes still to send
    while (first < n) {
        msghdr msg{};
        msg.msg_iov = iov.data() + first;
        msg.msg_iovlen = n - first;
        const ssize_t sent = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd, POLLOUT, 0};
            const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count() + 1, 60'000)));
            if (r < 0 && errno != EINTR) return false;
            if (r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL))) return false;
            continue;
        }
        // Skip what went out.
        auto done = static_cast<std::size_t>(sent);
        while (first < n && done >= iov[first].iov_len) done -= iov[first++].iov_len;
        if (first < n) {
            iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + done;
            iov[first].iov_len -= done;
        }
    }
    return true;
}

}  // namespace autoarr::server
