// Watches the sockets of requests that are waiting for a slot or being
// handled, from a thread of its own, and cancels a request's token when its
// client hangs up or its response deadline passes. The handler thread is
// blocked in a provider call meanwhile and cannot notice either itself; the
// cancel token reaches the plugin (RouteRequest::cancel, plugin::CancelToken),
// so the call ends and the slot is freed for a client that is still there.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "plugin/host_services.h"

namespace autoarr::server {

class ClientWatch {
public:
    using Clock = std::chrono::steady_clock;

    ClientWatch();
    ~ClientWatch();
    ClientWatch(const ClientWatch&) = delete;
    ClientWatch& operator=(const ClientWatch&) = delete;

    // Watches `fd` until remove(); `token` is cancelled once the peer hangs
    // up or `deadline` passes. The caller keeps `fd` open until remove().
    uint64_t add(int fd, Clock::time_point deadline, std::shared_ptr<plugin::CancelToken> token);
    void remove(uint64_t id);
    // Cancels every watched request (the server is stopping).
    void cancel_all();

    // Has the peer of `fd` closed its side or reset the connection? Does not block.
    static bool peer_gone(int fd);

private:
    struct Entry {
        int fd;
        Clock::time_point deadline;
        std::shared_ptr<plugin::CancelToken> token;
    };
    void run();

    std::mutex entries_mutex_;  // guards entries_, next_id_ and stopping_
    std::condition_variable changed_;
    std::map<uint64_t, Entry> entries_;
    uint64_t next_id_ = 1;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace autoarr::server
