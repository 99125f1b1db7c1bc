#include "server/http_server.h"

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <deque>
#include <mutex>
#include <optional>

#include "server/socket_writer.h"
#include "util/log.h"

namespace autoarr::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

HttpResponse HttpServer::error(int status, const std::string& code, const std::string& message) {
    HttpResponse r;
    r.status = status;
    r.body = boost::json::serialize(
        boost::json::object{{"error", boost::json::object{{"code", code}, {"message", message}}}});
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
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::vector<std::thread> threads;
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t>* in_flight = nullptr;

    class Session;
    // Requests that may block and found every slot taken. Each waits here,
    // holding no thread, until a finishing one hands its slot over.
    std::mutex slots_mutex;
    unsigned busy = 0;
    std::deque<std::pair<std::shared_ptr<Session>, HttpRequest>> waiting;

    Impl(const ServerOptions& o, Handler h, MayBlock mb)
        : options(o),
          handler(std::move(h)),
          may_block(std::move(mb)),
          slots(std::max(1u, o.workers)),
          io(static_cast<int>(slots + 1)) {}

    void accept();
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session>, public ResponseWriter {
public:
    using tcp_stream_executor = beast::tcp_stream::executor_type;

    Session(Impl& impl, tcp::socket socket) : impl_(impl), stream_(std::move(socket)) {
        error_code ec;
        stream_.socket().set_option(tcp::no_delay(true), ec);
    }

    tcp_stream_executor executor() { return stream_.get_executor(); }

    void read() {
        if (impl_.stopping.load()) return close();
        parser_.emplace();
        parser_->body_limit(impl_.options.body_limit);
        parser_->header_limit(static_cast<std::uint32_t>(impl_.options.header_limit));
        stream_.expires_after(impl_.options.read_timeout);
        bhttp::async_read(stream_, buffer_, *parser_,
                          [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
    }

    // ResponseWriter: called by the handler, on this connection's strand.
    void send(const HttpResponse& r) override {
        std::string head = status_line(r.status);
        append_header(head, "Content-Type", r.content_type);
        for (const auto& [k, v] : r.headers) append_header(head, k, v);
        head += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
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

private:
    // Blocking, bounded by the write timeout (docs/decisions/0004). A failed
    // write leaves the connection to be closed, never reused.
    bool raw_write(std::initializer_list<std::string_view> pieces) {
        if (broken_) return false;
        if (!write_all(stream_.socket().native_handle(), pieces,
                       std::chrono::steady_clock::now() + impl_.options.write_timeout)) {
            broken_ = true;
            keep_alive_ = false;
        }
        return !broken_;
    }

    void on_read(error_code ec) {
        if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted)
            return close();
        if (ec) {
            // The request is unusable: answer what we can, then close.
            HttpResponse r = ec == bhttp::error::body_limit
                                 ? HttpServer::error(413, "payload_too_large",
                                                     "the request body is larger than " +
                                                         std::to_string(impl_.options.body_limit) + " bytes")
                             : ec == bhttp::error::header_limit
                                 ? HttpServer::error(431, "headers_too_large", "the request headers are too large")
                             : ec == beast::error::timeout
                                 ? HttpServer::error(408, "request_timeout", "the request was not received in time")
                                 : HttpServer::error(400, "bad_request", "malformed HTTP request: " + ec.message());
            keep_alive_ = false;
            stream_.expires_never();
            send(r);
            return linger_close();
        }
        stream_.expires_never();
        auto& msg = parser_->get();
        HttpRequest req;
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        req.body = std::move(msg.body());
        for (const auto& f : msg) {
            std::string name(f.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            req.headers[name] = std::string(f.value());
        }
        keep_alive_ = msg.keep_alive();
        http10_ = msg.version() == 10;
        auto url = boost::urls::parse_origin_form(req.target);
        if (!url) {
            keep_alive_ = false;
            send(HttpServer::error(400, "bad_request", "the request target is not a valid path"));
            return close();
        }
        req.path = std::string(url->path());
        for (auto p : url->params()) req.query[std::string(p.key)] = std::string(p.value);

        ++*impl_.in_flight;  // from here until answered, waiting included (a graceful stop drains it)
        if (impl_.may_block && !impl_.may_block(req)) return handle(req);
        {
            std::lock_guard lock(impl_.slots_mutex);
            if (impl_.busy == impl_.slots) {
                impl_.waiting.emplace_back(shared_from_this(), std::move(req));
                return;  // this thread goes back to I/O; a finishing request starts this one
            }
            ++impl_.busy;
        }
        handle_holding_slot(std::move(req));
    }

    // Runs a request that holds a slot, then passes the slot to the oldest
    // waiting request (run on that request's own strand) or frees it.
    void handle_holding_slot(HttpRequest req) {
        handle(req);
        std::shared_ptr<Session> next;
        HttpRequest next_req;
        {
            std::lock_guard lock(impl_.slots_mutex);
            if (impl_.waiting.empty()) {
                --impl_.busy;
                return;
            }
            next = std::move(impl_.waiting.front().first);
            next_req = std::move(impl_.waiting.front().second);
            impl_.waiting.pop_front();
        }
        // Deferred, not posted: it is queued as this thread's continuation, so
        // no other thread is woken for it. It runs on its own connection's
        // strand, never inside this one (this connection may have a request
        // of its own coming).
        asio::defer(next->executor(),
                    [next, r = std::move(next_req)]() mutable { next->handle_holding_slot(std::move(r)); });
    }

    // The handler runs here, on this thread: no hand-off to another thread
    // and back (docs/decisions/0005).
    void handle(const HttpRequest& req) {
        try {
            impl_.handler(req, *this);
        } catch (const std::exception& e) {
            log::error("server", std::string("handler failed: ") + e.what());
            // Mid-stream, a second response cannot be sent: closing ends the stream.
            if (!streaming_) send(HttpServer::error(500, "internal", "internal error"));
            keep_alive_ = false;
        }
        --*impl_.in_flight;
        if (keep_alive_ && !impl_.stopping.load())
            read();
        else
            close();
    }

    // After an early error answer (413, 431, 400, 408), keep reading and
    // discarding what the client is still sending, for up to 2 s, so that it
    // can finish its write and read our answer instead of seeing a reset.
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
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    bool keep_alive_ = true;
    bool http10_ = false;
    bool broken_ = false;
    bool streaming_ = false;
    std::array<char, 64 * 1024> discard_;
};

void HttpServer::Impl::accept() {
    // Every connection gets its own strand, so its operations are serialized
    // while the threads serve many connections at once.
    acceptor.async_accept(asio::make_strand(io), [this](error_code ec, tcp::socket socket) {
        if (stopping.load() || ec == asio::error::operation_aborted) return;
        if (!ec) {
            auto session = std::make_shared<Session>(*this, std::move(socket));
            asio::dispatch(session->executor(), [session] { session->read(); });
        }
        accept();
    });
}

HttpServer::HttpServer(const ServerOptions& options, Handler handler, MayBlock may_block)
    : impl_(std::make_unique<Impl>(options, std::move(handler), std::move(may_block))) {
    impl_->in_flight = &in_flight_;
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

HttpServer::~HttpServer() {
    stop(std::chrono::milliseconds(0));
}

void HttpServer::start() {
    impl_->accept();
    // One thread more than there are slots: requests that cannot block
    // (health, metrics, reads of the store) never wait behind a slow model.
    for (unsigned i = 0; i < impl_->slots + 1; ++i) impl_->threads.emplace_back([this] { impl_->io.run(); });
}

void HttpServer::stop(std::chrono::milliseconds drain) {
    if (impl_->threads.empty()) return;
    impl_->stopping.store(true);
    asio::post(impl_->io, [this] {
        error_code ec;
        impl_->acceptor.close(ec);
    });
    const auto until = std::chrono::steady_clock::now() + drain;
    while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    impl_->io.stop();
    for (auto& t : impl_->threads) t.join();
    impl_->threads.clear();
}

}  // namespace autoarr::server
