#include "server/client_watch.h"

#include <poll.h>

#include <vector>

namespace autoarr::server {

namespace {
// How often a hang-up or a passed deadline is noticed at the latest.
constexpr auto kPollInterval = std::chrono::milliseconds(50);
}  // namespace

ClientWatch::ClientWatch() : thread_([this] { run(); }) {}

ClientWatch::~ClientWatch() {
    {
        std::lock_guard lock(entries_mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

uint64_t ClientWatch::add(int fd, Clock::time_point deadline, std::shared_ptr<plugin::CancelToken> token) {
    uint64_t id = 0;
    {
        std::lock_guard lock(entries_mutex_);
        id = next_id_++;
        entries_.emplace(id, Entry{fd, deadline, std::move(token)});
    }
    changed_.notify_all();
    return id;
}

void ClientWatch::remove(uint64_t id) {
    std::lock_guard lock(entries_mutex_);
    entries_.erase(id);
}

void ClientWatch::cancel_all() {
    std::vector<std::shared_ptr<plugin::CancelToken>> tokens;
    {
        std::lock_guard lock(entries_mutex_);
        for (const auto& [id, e] : entries_) tokens.push_back(e.token);
    }
    for (const auto& t : tokens) t->cancel();  // outside the lock: cancel() runs plugin callbacks
}

bool ClientWatch::peer_gone(int fd) {
    pollfd p{fd, POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

void ClientWatch::run() {
    std::vector<Entry> watched;
    std::vector<pollfd> fds;
    for (;;) {
        watched.clear();
        {
            std::unique_lock lock(entries_mutex_);
            changed_.wait(lock, [&] { return stopping_ || !entries_.empty(); });
            if (stopping_) return;
            for (const auto& [id, e] : entries_) watched.push_back(e);
        }
        // A copy: an fd may be closed (and even reused) while we poll. Then at
        // worst a token nobody waits on any more is cancelled; the entry of a
        // new connection on the same number has a token of its own.
        fds.clear();
        for (const auto& e : watched) fds.push_back({e.fd, POLLRDHUP, 0});
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(kPollInterval.count()));
        const auto now = Clock::now();
        for (std::size_t i = 0; i < watched.size(); ++i) {
            const bool gone = ready > 0 && (fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
            if ((gone || now >= watched[i].deadline) && !watched[i].token->cancelled()) watched[i].token->cancel();
        }
        if (ready > 0) std::this_thread::sleep_for(kPollInterval);  // a gone peer stays readable: do not spin
    }
}

}  // namespace autoarr::server
