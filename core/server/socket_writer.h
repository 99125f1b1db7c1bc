// Blocking, deadline-bounded writes on a socket that Asio also uses
// asynchronously. Asio's own synchronous write waits for POLLOUT with no
// timeout once the socket is in non-blocking mode (it always is after the
// first async operation), so SO_SNDTIMEO would not bound it: a client that
// stops reading would hold the thread forever. This writes with
// MSG_DONTWAIT and waits with poll(2) up to the deadline instead.
#pragma once

#include <chrono>
#include <string_view>

namespace autoarr::server {

// Writes every byte of `pieces` (gathered, one sendmsg when the socket takes
// them all) or fails: false when the peer is gone, an error occurred, or the
// deadline passed. Never raises SIGPIPE. Thread: any, as long as no other
// thread writes to `fd` meanwhile.
bool write_all(int fd, std::initializer_list<std::string_view> pieces, std::chrono::steady_clock::time_point deadline);

}  // namespace autoarr::server
