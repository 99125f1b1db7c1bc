#include "http/client.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/system/error_code.hpp>

#include "http/text_limits.h"

namespace autoarr::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

const std::string* ResponseHead::find(std::string_view lower_name) const {
    for (const auto& h : headers)
        if (h.name == lower_name) return &h.value;
    return nullptr;
}

void CallHandle::cancel() {
    cancelled_.store(true);
    std::lock_guard lock(mutex_);
    if (closer_) closer_();
}

// ---------------------------------------------------------------------------

class Client::Connection {
public:
    Connection(const BaseUrl& base, asio::ssl::context* tls) {
        if (tls) {
            tls_stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, *tls);
        } else {
            plain_ = std::make_unique<beast::tcp_stream>(io_);
        }
        (void)base;
    }

    beast::tcp_stream& lowest() { return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *plain_; }

    template <class F>
    auto with_stream(F&& f) {
        if (tls_stream_) return f(*tls_stream_);
        return f(*plain_);
    }

    // Runs one asynchronous operation to completion on the calling thread,
    // bounded by the deadline. Returns the operation's error code, or
    // timed_out (socket closed) when the deadline passed first.
    template <class Start>
    error_code run(Start&& start, Deadline deadline) {
        error_code result;
        bool done = false;
        io_.restart();
        start([&](error_code ec, auto&&...) {
            result = ec;
            done = true;
        });
        while (!done) {
            if (io_.run_one_until(deadline) == 0 && !done) {
                if (std::chrono::steady_clock::now() >= deadline) {
                    close();
                    io_.restart();
                    while (!done && io_.run_one() > 0) {
                    }
                    return asio::error::timed_out;
                }
                io_.restart();
            }
        }
        return result;
    }

    // Safe from any thread: the close runs on the io_context.
    std::function<void()> closer() {
        return [this] { asio::post(io_, [this] { close(); }); };
    }

    void close() {
        error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().socket().close(ignored);
        broken_ = true;
    }

    bool usable() const { return !broken_; }
    void mark_broken() { broken_ = true; }
    beast::flat_buffer& buffer() { return buffer_; }
    asio::io_context& io() { return io_; }
    bool is_tls() const { return tls_stream_ != nullptr; }
    beast::ssl_stream<beast::tcp_stream>& tls_stream() { return *tls_stream_; }

private:
    asio::io_context io_{1};
    std::unique_ptr<beast::tcp_stream> plain_;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
    beast::flat_buffer buffer_;
    bool broken_ = false;
};

// ---------------------------------------------------------------------------

namespace {

// Installs the connection's closer in the handle for the duration of a scope.
class CloserScope {
public:
    CloserScope(CallHandle* h, std::function<void()> closer, std::mutex& m, std::function<void()>& slot)
        : h_(h), m_(m), slot_(slot) {
        if (!h_) return;
        std::lock_guard lock(m_);
        slot_ = std::move(closer);
    }
    ~CloserScope() {
        if (!h_) return;
        std::lock_guard lock(m_);
        slot_ = nullptr;
    }

private:
    CallHandle* h_;
    std::mutex& m_;
    std::function<void()>& slot_;
};

[[noreturn]] void throw_io(error_code ec, CallHandle* h, const std::string& during, bool started) {
    if (h && h->cancelled()) throw HttpError(FailureKind::cancelled, "request cancelled", started);
    if (ec == asio::error::timed_out) throw HttpError(FailureKind::timeout, "deadline passed " + during, started);
    throw HttpError(FailureKind::io, during + ": " + ec.message(), started);
}

// Header text must not be able to start a header of its own.
void check_header_text(std::string_view what, std::string_view text) {
    if (text.find_first_of("\r\n") != std::string_view::npos)
        throw std::invalid_argument("HTTP " + std::string(what) +
                                    " contains a line break: " + std::string(text.substr(0, 40)));
}

bool stale_connection_error(error_code ec) {
    return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

Client::Client(BaseUrl base, ClientOptions options) : base_(std::move(base)), options_(std::move(options)) {
    if (base_.tls) {
        tls_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
        tls_->set_default_verify_paths();
        if (!options_.ca_file.empty()) {
            error_code ec;
            tls_->load_verify_file(options_.ca_file, ec);
            if (ec) throw std::invalid_argument("cannot load CA file " + options_.ca_file + ": " + ec.message());
        }
        // Peer and host-name verification are always on.
        tls_->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
        SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
    }
}

Client::~Client() = default;

// The request line and headers, written by hand: Beast's serializer cost
// more instructions than the rest of a plugin call (docs/benchmarks.md).
// Beast still parses every response.
std::string Client::request_head(const Request& request) const {
    if (bhttp::string_to_verb(request.method) == bhttp::verb::unknown)
        throw std::invalid_argument("unknown HTTP method " + request.method);
    const std::string target = base_.path_prefix + request.target;
    if (target.empty() || target.find_first_of(" \r\n") != std::string::npos)
        throw std::invalid_argument("HTTP request target is empty or contains spaces: " + target.substr(0, 40));
    std::string head;
    head.reserve(128 + target.size() + request.headers.size() * 48);
    head.append(request.method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(base_.host_header);
    bool user_agent = false;
    for (const auto& h : request.headers) {
        check_header_text("header name", h.name);
        check_header_text("header value", h.value);
        if (h.name == "content-length" || h.name == "host" || h.name == "connection") continue;  // ours alone
        user_agent = user_agent || h.name == "user-agent";
        head.append("\r\n").append(h.name).append(": ").append(h.value);
    }
    if (!user_agent) head.append("\r\nUser-Agent: ").append(options_.user_agent);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT")
        head.append("\r\nContent-Length: ").append(std::to_string(request.body.size()));
    head.append("\r\n\r\n");
    return head;
}

std::size_t Client::idle_connections() const {
    std::lock_guard lock(pool_mutex_);
    return idle_.size();
}

void Client::release(std::unique_ptr<Connection> c) {
    std::lock_guard lock(pool_mutex_);
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(c));
}

std::unique_ptr<Client::Connection> Client::acquire(Deadline deadline, CallHandle* handle, bool& reused) {
    {
        std::lock_guard lock(pool_mutex_);
        if (!idle_.empty()) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            reused = true;
            return c;
        }
    }
    reused = false;
    auto c = std::make_unique<Connection>(base_, tls_.get());
    std::function<void()> unused;  // the slot when there is no handle (the scope then does nothing)
    CloserScope scope(handle, c->closer(), handle ? handle->mutex_ : pool_mutex_, handle ? handle->closer_ : unused);
    if (handle && handle->cancelled()) throw HttpError(FailureKind::cancelled, "request cancelled");
    const Deadline connect_deadline = std::min(deadline, std::chrono::steady_clock::now() + options_.connect_timeout);

    tcp::resolver resolver(c->io());
    tcp::resolver::results_type endpoints;
    error_code ec = c->run(
        [&](auto handler) {
            resolver.async_resolve(base_.host, base_.port,
                                   [&, handler](error_code e, tcp::resolver::results_type r) mutable {
                                       endpoints = std::move(r);
                                       handler(e);
                                   });
        },
        connect_deadline);
    if (ec) {
        if (handle && handle->cancelled()) throw HttpError(FailureKind::cancelled, "request cancelled");
        if (ec == asio::error::timed_out) throw HttpError(FailureKind::timeout, "timed out resolving " + base_.host);
        throw HttpError(FailureKind::connect, "cannot resolve " + base_.host + ": " + ec.message());
    }
    ec = c->run([&](auto handler) { c->lowest().async_connect(endpoints, std::move(handler)); }, connect_deadline);
    if (ec) {
        if (handle && handle->cancelled()) throw HttpError(FailureKind::cancelled, "request cancelled");
        if (ec == asio::error::timed_out)
            throw HttpError(FailureKind::timeout, "timed out connecting to " + base_.host_header);
        throw HttpError(FailureKind::connect, "cannot connect to " + base_.host_header + ": " + ec.message());
    }
    c->lowest().socket().set_option(tcp::no_delay(true), ec);
    if (c->is_tls()) {
        auto& s = c->tls_stream();
        if (!SSL_set_tlsext_host_name(s.native_handle(), base_.host.c_str()))
            throw HttpError(FailureKind::tls, "cannot set TLS server name " + base_.host);
        s.set_verify_callback(asio::ssl::host_name_verification(base_.host));
        ec = c->run([&](auto handler) { s.async_handshake(asio::ssl::stream_base::client, std::move(handler)); },
                    deadline);
        if (ec) {
            if (handle && handle->cancelled()) throw HttpError(FailureKind::cancelled, "request cancelled");
            if (ec == asio::error::timed_out) throw HttpError(FailureKind::timeout, "timed out in the TLS handshake");
            std::string detail = ec.message();
            long verify = SSL_get_verify_result(s.native_handle());
            if (verify != X509_V_OK) detail = X509_verify_cert_error_string(verify);
            throw HttpError(FailureKind::tls, "TLS handshake with " + base_.host_header + " failed: " + detail);
        }
    }
    ++opened_;
    return c;
}

void Client::perform(const Request& request, Deadline deadline, CallHandle* handle,
                     const std::function<void(const ResponseHead&)>& on_head,
                     const std::function<bool(std::string_view)>& on_body) {
    const std::string request_text = request_head(request);
    const std::array<asio::const_buffer, 2> message{asio::buffer(request_text), asio::buffer(request.body)};

    for (int attempt = 0;; ++attempt) {
        bool reused = false;
        auto conn = acquire(deadline, handle, reused);
        std::function<void()> dummy;
        CloserScope scope(handle, conn->closer(), handle ? handle->mutex_ : pool_mutex_,
                          handle ? handle->closer_ : dummy);
        if (handle && handle->cancelled()) throw HttpError(FailureKind::cancelled, "request cancelled");

        error_code ec = conn->with_stream([&](auto& s) {
            return conn->run([&](auto handler) { asio::async_write(s, message, std::move(handler)); }, deadline);
        });
        bhttp::response_parser<bhttp::buffer_body> parser;
        parser.body_limit(boost::none);
        parser.header_limit(64 * 1024);
        if (!ec) {
            ec = conn->with_stream([&](auto& s) {
                return conn->run(
                    [&](auto handler) { bhttp::async_read_header(s, conn->buffer(), parser, std::move(handler)); },
                    deadline);
            });
        }
        if (ec) {
            // A kept-alive connection the server already closed: try once more, fresh.
            if (reused && attempt == 0 && stale_connection_error(ec) && !(handle && handle->cancelled())) continue;
            throw_io(ec, handle, "sending the request to " + base_.host_header, false);
        }

        ResponseHead head;
        head.status = static_cast<int>(parser.get().result_int());
        for (const auto& f : parser.get()) {
            std::string name(f.name_string());
            for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            head.headers.push_back({std::move(name), std::string(f.value())});
        }
        on_head(head);

        char buf[16 * 1024];
        bool keep = true;
        while (!parser.is_done()) {
            parser.get().body().data = buf;
            parser.get().body().size = sizeof buf;
            ec = conn->with_stream([&](auto& s) {
                return conn->run(
                    [&](auto handler) { bhttp::async_read_some(s, conn->buffer(), parser, std::move(handler)); },
                    deadline);
            });
            if (ec == bhttp::error::need_buffer) ec = {};
            std::size_t n = sizeof buf - parser.get().body().size;
            if (n > 0 && !on_body(std::string_view(buf, n))) {
                keep = false;
                conn->mark_broken();
                break;
            }
            if (ec) {
                if (ec == bhttp::error::partial_message || ec == bhttp::error::end_of_stream || ec == asio::error::eof)
                    throw HttpError(FailureKind::io, "the connection closed before the response was complete", true);
                throw_io(ec, handle, "reading the response", true);
            }
        }
        if (keep && parser.is_done() && parser.get().keep_alive() && conn->usable()) release(std::move(conn));
        return;
    }
}

std::pair<ResponseHead, std::string> Client::fetch(const Request& request, Deadline deadline, CallHandle* handle,
                                                   std::size_t max_body) {
    ResponseHead head;
    std::string body;
    bool too_big = false;
    perform(
        request, deadline, handle, [&](const ResponseHead& h) { head = h; },
        [&](std::string_view piece) {
            // An error body is only ever shown as a short message: read its
            // start and stop, however much the server has to say.
            if (head.status / 100 != 2) {
                body.append(piece.substr(0, kMaxErrorBody - body.size()));
                return body.size() < kMaxErrorBody;
            }
            if (body.size() + piece.size() > max_body) {
                too_big = true;
                return false;
            }
            body.append(piece);
            return true;
        });
    if (too_big)
        throw HttpError(FailureKind::protocol, "response body larger than " + std::to_string(max_body) + " bytes");
    return {std::move(head), std::move(body)};
}

Request json_post(std::string target, std::string body, std::vector<Header> headers) {
    Request r;
    r.method = "POST";
    r.target = std::move(target);
    r.headers = std::move(headers);
    r.headers.push_back({"content-type", "application/json"});
    r.body = std::move(body);
    return r;
}

}  // namespace autoarr::http
