#include "server/http_server.h"

#include <sys/resource.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <deque>
#include <list>
#include <mutex>
#include <optional>

#include "plugin/host_services.h"
#include "server/client_watch.h"
#include "server/request_framing.h"
#include "server/request_guard.h"
#include "server/socket_writer.h"
#include "util/log.h"
#include "util/secret_scrubber.h"

namespace autoarr::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

HttpResponse HttpServer::error(int status, const std::string& code, const std::string& message) {
    HttpResponse r;
    r.status = status;
    // The message may quote the client's bytes (a Host header): valid UTF-8, bounded,
    // so the body is valid JSON (found by fuzzing: a Host of 0xFF bytes was echoed raw).
    r.body = boost::json::serialize(boost::json::object{
        {"error", boost::json::object{{"code", code}, {"message", util::safe_error_text(message)}}}});
    return r;
}

namespace {

// A header line from handler-supplied text; CR and LF are dropped so that no
// value can start a header or body of its own.
void append_header(std::string& out, std::string_view name, std::string_view value) {
    for (char c : name)
        if (c != '\r' && c != '\n') out += c;
    out += ": ";
    for (char c : value)
        if (c != '\r' && c != '\n') out += c;
    out += "\r\n";
}

std::string status_line(int status) {
    std::string s = "HTTP/1.1 " + std::to_string(status) + " ";
    s += bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    s += "\r\nServer: autoarr\r\n";
    return s;
}

}  // namespace

struct HttpServer::Impl {
    ServerOptions options;
    Handler handler;
    MayBlock may_block;
    const unsigned slots;  // requests that may block, handled at once
    RequestGuard guard;
    ClientWatch watch;

    class Session;
    // Every open connection, so that one can be closed to make room at the
    // cap. Declared before io: sessions still in io's handlers leave it as io goes.
    std::mutex sessions_mutex;  // guards sessions
    std::list<std::weak_ptr<Session>> sessions;

    asio::io_context io;
    // The acceptor and its retry timer are used from accept handlers and from
    // stop(): every use runs on this strand, so none races another.
    asio::strand<asio::io_context::executor_type> accept_strand = asio::make_strand(io);
    tcp::acceptor acceptor{accept_strand};
    asio::steady_timer accept_retry{accept_strand};  // after running out of descriptors
    std::vector<std::thread> threads;
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t>* in_flight = nullptr;

    // Requests that may block and found every slot taken. Each waits here,
    // holding no thread, until a finishing one hands its slot over.
    std::mutex slots_mutex;  // guards busy and waiting
    unsigned busy = 0;
    std::deque<std::shared_ptr<Session>> waiting;

    Impl(const ServerOptions& o, Handler h, MayBlock mb)
        : options(o),
          handler(std::move(h)),
          may_block(std::move(mb)),
          slots(std::max(1u, o.workers)),
          guard(GuardPolicy{o.address, o.allowed_hosts, o.allowed_origins}),
          io(static_cast<int>(slots + 1)) {}
    ~Impl() { waiting.clear(); }  // while io still stands

    void accept();
    // Closes the connection that has waited longest for a request (never
    // `keep`); false when every other connection is busy with one.
    bool close_longest_idle(const Session* keep);
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session>, public ResponseWriter {
public:
    using tcp_stream_executor = beast::tcp_stream::executor_type;
    using Clock = std::chrono::steady_clock;

    Session(Impl& impl, tcp::socket socket)
        : impl_(impl),
          stream_(std::move(socket)),
          // A chunk-size line with its extensions, and the trailer section,
          // must each fit in the buffer whole before Beast parses them: this
          // bound is what keeps them from growing without limit.
          buffer_(impl.options.header_limit + kFramingSlack),
          read_timer_(stream_.get_executor()) {
        error_code ec;
        stream_.socket().set_option(tcp::no_delay(true), ec);
    }
    ~Session() override {
        std::lock_guard lock(impl_.sessions_mutex);
        impl_.sessions.erase(registered_);
    }
    void registered(std::list<std::weak_ptr<Session>>::iterator at) { registered_ = at; }

    tcp_stream_executor executor() { return stream_.get_executor(); }
    // Since when this connection waits for (the rest of) a request; nullopt while it has one.
    std::optional<Clock::rep> idle_since() const {
        const auto t = idle_since_.load();
        return t < 0 ? std::nullopt : std::optional<Clock::rep>(t);
    }

    void read() {
        if (impl_.stopping.load()) return close();
        parser_.emplace();
        parser_->body_limit(impl_.options.body_limit);
        parser_->header_limit(static_cast<std::uint32_t>(impl_.options.header_limit));
        preflight_ = false;
        timed_out_ = false;
        cors_headers_.clear();
        idle_since_ = Clock::now().time_since_epoch().count();
        read_timer_.expires_after(impl_.options.read_timeout);
        // A timer that expired just as its read finished must not cut short the next read.
        read_timer_.async_wait([self = shared_from_this(), read = ++reads_](error_code ec) {
            if (ec || read != self->reads_) return;  // cancelled (the request arrived in time), or stale
            self->timed_out_ = true;
            error_code ignored;
            self->stream_.socket().cancel(ignored);
        });
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
    }

    // Chosen to be closed at the cap: claimed once, so that several accepts
    // in a row pick several connections, not the same one again before its
    // close has run.
    bool claim_eviction() {
        bool expected = false;
        return eviction_claimed_.compare_exchange_strong(expected, true);
    }
    bool eviction_claimed() const { return eviction_claimed_.load(); }

    // At the connection cap: closed to make room, if it is still only waiting.
    void evict() {
        if (!idle_since()) {
            eviction_claimed_ = false;  // it got a request meanwhile: choose it again later if need be
            return;
        }
        log::info("server", "closed the longest-idle connection: rule max-connections: " +
                                std::to_string(impl_.options.max_connections) + " open");
        evicted_ = true;
        read_timer_.cancel();
        close();
    }
    // At the cap with no connection to spare: this one is answered and closed.
    void refuse_at_cap() {
        keep_alive_ = false;
        auto r = HttpServer::error(503, "too_many_connections",
                                   "the server has " + std::to_string(impl_.options.max_connections) +
                                       " connections open, all busy; try again shortly");
        r.headers.emplace_back("Retry-After", "1");
        log::warn("server", "refused a connection: rule max-connections: all " +
                                std::to_string(impl_.options.max_connections) + " connections are busy");
        send(r);
        linger_close();
    }

    // ResponseWriter: called by the handler, on this connection's strand.
    void send(const HttpResponse& r) override {
        std::string head = status_line(r.status);
        const bool no_content = r.status == 204;  // RFC 9110 §8.6: no Content-Length on a 204
        if (!no_content) append_header(head, "Content-Type", r.content_type);
        for (const auto& [k, v] : cors_headers_) append_header(head, k, v);
        for (const auto& [k, v] : r.headers) append_header(head, k, v);
        if (!no_content) head += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
        const bool keep = keep_alive_ && !impl_.stopping.load();
        if (!keep)
            head += "Connection: close\r\n";
        else if (http10_)
            head += "Connection: keep-alive\r\n";
        head += "\r\n";
        raw_write({head, r.body});  // a failed write ends keep-alive itself
        if (!keep) keep_alive_ = false;
    }
    bool start_stream(int status, const std::string& content_type) override {
        std::string head = status_line(status);
        append_header(head, "Content-Type", content_type);
        for (const auto& [k, v] : cors_headers_) append_header(head, k, v);
        head += "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        keep_alive_ = false;  // a stream ends its connection (simplest for proxies and clients)
        streaming_ = true;
        return raw_write({head});
    }
    bool write(std::string_view chunk) override {
        if (chunk.empty()) return true;
        char size[20];
        const int n = std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
        return raw_write({std::string_view(size, static_cast<std::size_t>(n)), chunk, "\r\n"});
    }
    void end_stream() override { raw_write({"0\r\n\r\n"}); }

    // Runs a request that holds a slot, then passes the slot to the oldest
    // waiting request (run on that request's own strand) or frees it.
    void handle_holding_slot() {
        if (abandoned())
            finish();
        else
            handle();
        std::shared_ptr<Session> next;
        {
            std::lock_guard lock(impl_.slots_mutex);
            if (impl_.waiting.empty()) {
                --impl_.busy;
                return;
            }
            next = std::move(impl_.waiting.front());
            impl_.waiting.pop_front();
        }
        // Deferred, not posted: it is queued as this thread's continuation, so
        // no other thread is woken for it. It runs on its own connection's
        // strand, never inside this one (this connection may have a request
        // of its own coming).
        asio::defer(next->executor(), [next] { next->handle_holding_slot(); });
    }

private:
    // Bytes a chunk-size line or the trailer section may take beyond the header limit.
    static constexpr std::size_t kFramingSlack = 4096;

    // Blocking, bounded by the write timeout and the response's deadline
    // (docs/decisions/0004). A failed write leaves the connection to be
    // closed, never reused.
    bool raw_write(std::initializer_list<std::string_view> pieces) {
        if (broken_) return false;
        if (Clock::now() >= response_deadline_) broken_ = true;  // the whole response is bounded, not only each write
        if (broken_) {
            keep_alive_ = false;
            return false;
        }
        const auto deadline = std::min(Clock::now() + impl_.options.write_timeout, response_deadline_);
        if (!write_all(stream_.socket().native_handle(), pieces, deadline)) {
            broken_ = true;
            keep_alive_ = false;
        }
        return !broken_;
    }

    // The header is in: refuse what cannot be framed or is not allowed
    // before reading a byte of the body.
    void on_header(error_code ec) {
        if (ec) return on_read_error(ec);
        auto& msg = parser_->get();
        if (auto refusal = framing_refusal(msg)) return refuse(*refusal);
        request_ = request_from_header(msg);
        const auto length = parser_->content_length();
        auto verdict = impl_.guard.check(request_, parser_->chunked() || (length && *length > 0));
        if (verdict.refusal) return refuse(*verdict.refusal);
        cors_headers_ = std::move(verdict.cors_headers);
        preflight_ = verdict.preflight;
        if (parser_->is_done()) return on_read({});
        bhttp::async_read(stream_, buffer_, *parser_,
                          [self = shared_from_this()](error_code e, std::size_t) { self->on_read(e); });
    }

    void on_read(error_code ec) {
        if (ec) return on_read_error(ec);
        read_timer_.cancel();
        idle_since_ = -1;
        first_request_ = false;
        auto& msg = parser_->get();
        HttpRequest& req = request_;
        req.body = std::move(msg.body());
        add_trailer_fields(req, msg);  // trailers, if any, join the header fields
        keep_alive_ = msg.keep_alive();
        http10_ = msg.version() == 10;
        if (!split_target(req)) {
            keep_alive_ = false;
            send(HttpServer::error(400, "bad_request", "the request target is not a valid path"));
            return close();
        }
        if (preflight_) {  // an allowed CORS preflight: answered here, no route sees it
            HttpResponse r;
            r.status = 204;
            send(r);
            return keep_alive_ ? read() : close();
        }

        // From here until answered, waiting included (a graceful stop drains it).
        ++*impl_.in_flight;
        response_deadline_ = Clock::now() + impl_.options.response_timeout;
        token_ = std::make_shared<plugin::CancelToken>();
        req.cancel = token_.get();
        watch_id_ = impl_.watch.add(stream_.socket().native_handle(), response_deadline_, token_);
        if (impl_.may_block && !impl_.may_block(req)) return handle();
        bool queue_is_full = false;
        {
            std::lock_guard lock(impl_.slots_mutex);
            if (impl_.busy < impl_.slots) {
                ++impl_.busy;
            } else if (impl_.waiting.size() < impl_.options.queue_limit) {
                impl_.waiting.push_back(shared_from_this());
                return;  // this thread goes back to I/O; a finishing request starts this one
            } else {
                queue_is_full = true;
            }
        }
        if (queue_is_full) return queue_full();
        handle_holding_slot();
    }

    // The queue is full: 503 with Retry-After, and the request never runs.
    void queue_full() {
        auto r = HttpServer::error(503, "overloaded",
                                   std::to_string(impl_.options.queue_limit) +
                                       " requests are already waiting for a provider slot; try again shortly");
        r.headers.emplace_back("Retry-After", "2");
        log::warn("server", "refused " + request_.method + " " + request_.path +
                                ": rule queue-limit: " + std::to_string(impl_.options.queue_limit) + " waiting");
        send(r);
        finish();
    }

    // A waiting request whose client hung up does not start; one whose
    // deadline passed while it waited is answered 503 instead.
    bool abandoned() {
        if (ClientWatch::peer_gone(stream_.socket().native_handle())) {
            log::warn("server", request_.method + " " + request_.path + " not started: its client has gone");
            keep_alive_ = false;
            return true;
        }
        if (token_->cancelled()) {
            auto r = HttpServer::error(503, "response_timeout", "the request waited for a provider slot too long");
            r.headers.emplace_back("Retry-After", "2");
            send(r);
            return true;
        }
        return false;
    }

    // The handler runs here, on this thread: no hand-off to another thread
    // and back (docs/decisions/0005).
    void handle() {
        try {
            impl_.handler(request_, *this);
        } catch (const std::exception& e) {
            log::error("server", std::string("handler failed: ") + e.what());
            // Mid-stream, a second response cannot be sent: closing ends the stream.
            if (!streaming_) send(HttpServer::error(500, "internal", "internal error"));
            keep_alive_ = false;
        }
        finish();
    }

    // The request is answered (or dropped): stop watching it, then the next.
    void finish() {
        impl_.watch.remove(watch_id_);
        request_.cancel = nullptr;
        token_.reset();
        response_deadline_ = Clock::time_point::max();
        --*impl_.in_flight;
        if (keep_alive_ && !impl_.stopping.load())
            read();
        else
            close();
    }

    void on_read_error(error_code ec) {
        read_timer_.cancel();
        idle_since_ = -1;
        if (evicted_ || impl_.stopping.load()) return close();
        if (ec == asio::error::operation_aborted && timed_out_) {
            // A keep-alive connection that merely sat idle is closed quietly:
            // its client may be sending its next request at this very moment.
            if (!first_request_ && !parser_->got_some() && buffer_.size() == 0) return close();
            return refuse(
                {408, "request_timeout", "read-timeout",
                 "the request was not received within " + std::to_string(impl_.options.read_timeout.count()) + " ms"});
        }
        if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
            ec == asio::error::connection_reset)
            return close();
        // The request is unusable: answer what we can, then close.
        if (ec == bhttp::error::body_limit)
            return refuse({413, "payload_too_large", "body-limit",
                           "the request body is larger than " + std::to_string(impl_.options.body_limit) + " bytes"});
        if (ec == bhttp::error::header_limit)
            return refuse({431, "headers_too_large", "header-limit", "the request headers are too large"});
        if (ec == bhttp::error::buffer_overflow) {
            const std::string limit = std::to_string(impl_.options.header_limit + kFramingSlack);
            if (in_trailer())
                return refuse({431, "trailers_too_large", "trailer-limit",
                               "the chunked trailer section is longer than " + limit + " bytes"});
            return refuse({400, "chunk_header_too_large", "chunk-extension-limit",
                           "a chunk-size line (with its extensions) is longer than " + limit + " bytes"});
        }
        refuse({400, "bad_request", "framing", "malformed HTTP request: " + ec.message()});
    }

    // Did the body reach its last chunk ("0" CRLF), so that what overflowed is the trailer section?
    bool in_trailer() const {
        std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        if (data.starts_with("\r\n")) data.remove_prefix(2);
        const auto eol = data.find("\r\n");
        if (eol == std::string_view::npos) return false;
        const auto line = data.substr(0, std::min(eol, data.find(';')));
        return !line.empty() && line.find_first_not_of('0') == std::string_view::npos;
    }

    // An early answer (400, 408, 413, 415, 421, 431, ...): logged once, then the connection closes.
    void refuse(const Refusal& r) {
        read_timer_.cancel();
        idle_since_ = -1;
        log::warn("server", "refused " + (request_line().empty() ? std::string("a request") : request_line()) +
                                ": rule " + r.rule + ": " + r.message);
        keep_alive_ = false;
        send(HttpServer::error(r.status, r.code, r.message));
        linger_close();
    }
    std::string request_line() const {
        if (!parser_ || !parser_->is_header_done()) return {};
        const auto& m = parser_->get();
        return std::string(m.method_string()) + " " + std::string(m.target());
    }

    // After an early error answer, keep reading and discarding what the
    // client is still sending, for up to 2 s, so that it can finish its write
    // and read our answer instead of seeing a reset.
    void linger_close() {
        error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.expires_after(std::chrono::seconds(2));
        drain();
    }
    void drain() {
        stream_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) return self->close();
            self->drain();
        });
    }

    void close() {
        error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.close();
    }

    Impl& impl_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    asio::steady_timer read_timer_;  // one request's whole read: header and body
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    HttpRequest request_;  // the one being read, waiting or handled
    std::shared_ptr<plugin::CancelToken> token_;
    uint64_t watch_id_ = 0;
    Clock::time_point response_deadline_ = Clock::time_point::max();
    std::vector<std::pair<std::string, std::string>> cors_headers_;
    std::atomic<Clock::rep> idle_since_{Clock::now().time_since_epoch().count()};
    std::atomic<bool> eviction_claimed_{false};
    std::list<std::weak_ptr<Session>>::iterator registered_;
    bool keep_alive_ = true;
    bool http10_ = false;
    bool broken_ = false;
    bool streaming_ = false;
    bool preflight_ = false;
    bool timed_out_ = false;
    bool first_request_ = true;
    bool evicted_ = false;
    uint64_t reads_ = 0;  // requests read on this connection, so a stale read timer knows itself
    std::array<char, 64 * 1024> discard_;
};

bool HttpServer::Impl::close_longest_idle(const Session* keep) {
    // Held past the lock: the last reference to a closing session may be
    // one of these, and its destructor takes sessions_mutex.
    std::vector<std::shared_ptr<Session>> open;
    {
        std::lock_guard lock(sessions_mutex);
        open.reserve(sessions.size());
        for (const auto& w : sessions)
            if (auto s = w.lock()) open.push_back(std::move(s));
    }
    while (true) {
        std::shared_ptr<Session> idlest;
        Session::Clock::rep since = 0;
        for (const auto& s : open) {
            if (s.get() == keep || s->eviction_claimed()) continue;
            if (auto t = s->idle_since(); t && (!idlest || *t < since)) {
                idlest = s;
                since = *t;
            }
        }
        if (!idlest) return false;
        if (!idlest->claim_eviction()) continue;  // claimed by another caller meanwhile: choose again
        asio::dispatch(idlest->executor(), [idlest] { idlest->evict(); });
        return true;
    }
}

void HttpServer::Impl::accept() {
    // Every connection gets its own strand, so its operations are serialized
    // while the threads serve many connections at once.
    acceptor.async_accept(
        asio::make_strand(io), asio::bind_executor(accept_strand, [this](error_code ec, tcp::socket socket) {
            if (stopping.load() || ec == asio::error::operation_aborted) return;
            if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
                // Out of file descriptors in spite of the cap: make room, and try
                // again shortly rather than spinning on accept.
                log::warn("server", "cannot accept a connection: " + ec.message() + "; closing the longest-idle one");
                close_longest_idle(nullptr);
                accept_retry.expires_after(std::chrono::milliseconds(50));
                accept_retry.async_wait(asio::bind_executor(accept_strand, [this](error_code e) {
                    if (!e && !stopping.load()) accept();
                }));
                return;
            }
            if (!ec) {
                auto session = std::make_shared<Session>(*this, std::move(socket));
                std::size_t open = 0;
                {
                    std::lock_guard lock(sessions_mutex);
                    session->registered(sessions.insert(sessions.end(), session));
                    open = sessions.size();
                }
                if (open > options.max_connections && !close_longest_idle(session.get()))
                    asio::dispatch(session->executor(), [session] { session->refuse_at_cap(); });
                else
                    asio::dispatch(session->executor(), [session] { session->read(); });
            }
            accept();
        }));
}

HttpServer::HttpServer(const ServerOptions& options, Handler handler, MayBlock may_block)
    : impl_(std::make_unique<Impl>(options, std::move(handler), std::move(may_block))) {
    impl_->in_flight = &in_flight_;
    // The cap must leave descriptors for everything else (the reserve).
    rlimit nofile{};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
        const auto fit = nofile.rlim_cur > 2 * kReservedFileDescriptors ? nofile.rlim_cur - kReservedFileDescriptors
                                                                        : nofile.rlim_cur / 2;
        if (impl_->options.max_connections > fit) {
            log::warn("server", "the open-file limit is " + std::to_string(nofile.rlim_cur) + ": at most " +
                                    std::to_string(fit) + " connections instead of " +
                                    std::to_string(impl_->options.max_connections));
            impl_->options.max_connections = fit;
        }
    }
    impl_->options.max_connections = std::max<std::size_t>(1, impl_->options.max_connections);
    error_code ec;
    auto addr = asio::ip::make_address(options.address, ec);
    if (ec) throw std::runtime_error("listen address \"" + options.address + "\" is not an IP address");
    tcp::endpoint ep(addr, options.port);
    impl_->acceptor.open(ep.protocol(), ec);
    if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl_->acceptor.bind(ep, ec);
    if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("cannot listen on " + options.address + ":" + std::to_string(options.port) + ": " +
                                 ec.message());
    port_ = impl_->acceptor.local_endpoint().port();
}

std::size_t HttpServer::connections() const {
    std::lock_guard lock(impl_->sessions_mutex);
    return impl_->sessions.size();
}

std::size_t HttpServer::max_connections() const {
    return impl_->options.max_connections;
}

HttpServer::~HttpServer() {
    stop(std::chrono::milliseconds(0));
}

void HttpServer::start() {
    asio::post(impl_->accept_strand, [this] { impl_->accept(); });
    // One thread more than there are slots: requests that cannot block
    // (health, metrics, reads of the store) never wait behind a slow model.
    for (unsigned i = 0; i < impl_->slots + 1; ++i) impl_->threads.emplace_back([this] { impl_->io.run(); });
}

void HttpServer::stop(std::chrono::milliseconds drain) {
    if (impl_->threads.empty()) return;
    impl_->stopping.store(true);
    asio::post(impl_->accept_strand, [this] {
        error_code ec;
        impl_->acceptor.close(ec);
    });
    const auto until = std::chrono::steady_clock::now() + drain;
    while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    impl_->watch.cancel_all();  // what is still running is told to give up, so its thread can be joined
    impl_->io.stop();
    for (auto& t : impl_->threads) t.join();
    impl_->threads.clear();
}

}  // namespace autoarr::server
