#include "server/http_server.h"

#include <sys/socket.h>

#include <array>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

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

struct HttpServer::Impl {
    ServerOptions options;
    Handler handler;
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    asio::thread_pool pool;
    std::thread io_thread;
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t>* in_flight = nullptr;

    Impl(const ServerOptions& o, Handler h) : options(o), handler(std::move(h)), pool(o.workers) {}

    class Session;
    void accept();
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session>, public ResponseWriter {
public:
    Session(Impl& impl, tcp::socket socket) : impl_(impl), stream_(std::move(socket)) {
        // Bound blocking writes from workers: a client that stops reading cannot hold a worker.
        timeval tv{};
        tv.tv_sec = static_cast<long>(impl_.options.write_timeout.count() / 1000);
        tv.tv_usec = static_cast<long>((impl_.options.write_timeout.count() % 1000) * 1000);
        ::setsockopt(stream_.socket().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        error_code ec;
        stream_.socket().set_option(tcp::no_delay(true), ec);
    }

    void read() {
        if (impl_.stopping.load()) return close();
        parser_.emplace();
        parser_->body_limit(impl_.options.body_limit);
        parser_->header_limit(static_cast<std::uint32_t>(impl_.options.header_limit));
        stream_.expires_after(impl_.options.read_timeout);
        bhttp::async_read(stream_, buffer_, *parser_,
                          [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
    }

    // ResponseWriter (called on a worker thread; the socket is idle meanwhile).
    void send(const HttpResponse& r) override {
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
        res.set(bhttp::field::server, "autoarr");
        res.set(bhttp::field::content_type, r.content_type);
        for (const auto& [k, v] : r.headers) res.set(k, v);
        res.keep_alive(keep_alive_ && !impl_.stopping.load());
        res.body() = r.body;
        res.prepare_payload();
        error_code ec;
        bhttp::write(stream_.socket(), res, ec);
        if (ec) keep_alive_ = false;
        status_ = r.status;
    }
    bool start_stream(int status, const std::string& content_type) override {
        std::string head = "HTTP/1.1 " + std::to_string(status) + " " +
                           std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(status))) +
                           "\r\nServer: autoarr\r\nContent-Type: " + content_type +
                           "\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";
        status_ = status;
        keep_alive_ = false;  // a stream ends its connection (simplest for proxies and clients)
        return raw_write(head);
    }
    bool write(std::string_view chunk) override {
        if (chunk.empty()) return true;
        char size[20];
        std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
        std::string out = size;
        out.append(chunk);
        out += "\r\n";
        return raw_write(out);
    }
    void end_stream() override { raw_write("0\r\n\r\n"); }

private:
    bool raw_write(std::string_view data) {
        error_code ec;
        asio::write(stream_.socket(), asio::buffer(data.data(), data.size()), ec);
        return !ec;
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
        auto url = boost::urls::parse_origin_form(req.target);
        if (!url) {
            keep_alive_ = false;
            send(HttpServer::error(400, "bad_request", "the request target is not a valid path"));
            return close();
        }
        req.path = std::string(url->path());
        for (auto p : url->params()) req.query[std::string(p.key)] = std::string(p.value);
        keep_alive_ = msg.keep_alive();
        ++*impl_.in_flight;
        asio::post(impl_.pool, [self = shared_from_this(), req = std::move(req)] {
            try {
                self->impl_.handler(req, *self);
            } catch (const std::exception& e) {
                log::error("server", std::string("handler failed: ") + e.what());
                self->send(HttpServer::error(500, "internal", "internal error"));
            }
            --*self->impl_.in_flight;
            // Back to the I/O thread for the next request on this connection.
            asio::post(self->stream_.get_executor(), [self] {
                if (self->keep_alive_ && !self->impl_.stopping.load()) self->read();
                else self->close();
            });
        });
    }

    // After an early error answer (413, 431, 400), keep reading and discarding
        // what the client is still sending, for up to 2 s, so that it can finish
        // its write and read our answer instead of seeing a reset.
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
    int status_ = 0;
    std::array<char, 64 * 1024> discard_;
};

void HttpServer::Impl::accept() {
    acceptor.async_accept([this](error_code ec, tcp::socket socket) {
        if (stopping.load() || ec == asio::error::operation_aborted) return;
        if (!ec) std::make_shared<Session>(*this, std::move(socket))->read();
        accept();
    });
}

HttpServer::HttpServer(const ServerOptions& options, Handler handler)
    : impl_(std::make_unique<Impl>(options, std::move(handler))) {
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

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }

void HttpServer::start() {
    impl_->accept();
    impl_->io_thread = std::thread([this] { impl_->io.run(); });
}

void HttpServer::stop(std::chrono::milliseconds drain) {
    if (!impl_->io_thread.joinable()) return;
    impl_->stopping.store(true);
    asio::post(impl_->io, [this] {
        error_code ec;
        impl_->acceptor.close(ec);
    });
    const auto until = std::chrono::steady_clock::now() + drain;
    while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    impl_->io.stop();
    impl_->io_thread.join();
    impl_->pool.join();
}

}  // namespace autoarr::server
