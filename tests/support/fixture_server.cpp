#include "support/fixture_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <fstream>
#include <random>
#include <sstream>

#ifndef AUTOARR_SOURCE_DIR
#error "AUTOARR_SOURCE_DIR must be defined"
#endif

namespace autoarr::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

std::vector<std::size_t> plan_bytewise(std::size_t n) {
    return std::vector<std::size_t>(n, 1);
}

std::vector<std::size_t> plan_at_offsets(std::size_t n, const std::vector<std::size_t>& offsets) {
    std::vector<std::size_t> out;
    std::size_t at = 0;
    for (std::size_t off : offsets) {
        if (off <= at || off >= n) continue;
        out.push_back(off - at);
        at = off;
    }
    if (at < n) out.push_back(n - at);
    return out;
}

std::vector<std::size_t> plan_random(std::size_t n, unsigned seed, std::size_t max_piece) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> d(1, max_piece);
    std::vector<std::size_t> out;
    for (std::size_t at = 0; at < n;) {
        std::size_t k = std::min(d(rng), n - at);
        out.push_back(k);
        at += k;
    }
    return out;
}

std::vector<std::size_t> plan_lines(std::string_view body) {
    std::vector<std::size_t> out;
    for (std::size_t at = 0, lf; (lf = body.find('\n', at)) != std::string_view::npos; at = lf + 1)
        out.push_back(lf + 1 - at);
    return out;
}

std::string fixture_bytes(const std::string& rel) {
    std::ifstream in(std::string(AUTOARR_SOURCE_DIR) + "/tests/fixtures/" + rel, std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + rel);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

namespace {

const char* reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 413:
            return "Payload Too Large";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        case 529:
            return "Site Overloaded";
        default:
            return "Status";
    }
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

struct FixtureServer::Impl {
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::unique_ptr<asio::ssl::context> tls;
    std::thread accept_thread;
    std::atomic<bool> stopping{false};

    mutable std::mutex mutex;
    std::map<std::pair<std::string, std::string>, Handler> handlers;
    std::vector<ReceivedRequest> received;
    bool record = true;  // guarded by mutex
    std::vector<std::thread> workers;
    std::vector<std::shared_ptr<tcp::socket>> open_sockets;

    template <class Stream>
    bool read_request(Stream& s, std::string& buf, ReceivedRequest& req) {
        error_code ec;
        std::size_t head_end;
        while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
            char tmp[4096];
            std::size_t n = s.read_some(asio::buffer(tmp), ec);
            if (ec || n == 0) return false;
            buf.append(tmp, n);
        }
        std::istringstream head(buf.substr(0, head_end));
        std::string line;
        std::getline(head, line);
        std::istringstream rl(line);
        rl >> req.method >> req.target;
        while (std::getline(head, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            auto colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string v = line.substr(colon + 1);
            v.erase(0, v.find_first_not_of(' '));
            req.headers[lower(line.substr(0, colon))] = v;
        }
        std::size_t len = req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
        buf.erase(0, head_end + 4);
        while (buf.size() < len) {
            char tmp[4096];
            std::size_t n = s.read_some(asio::buffer(tmp), ec);
            if (ec || n == 0) return false;
            buf.append(tmp, n);
        }
        req.body = buf.substr(0, len);
        buf.erase(0, len);
        return true;
    }

    // Returns false when the connection must close.
    template <class Stream>
    bool respond(Stream& s, const FixtureResponse& r) {
        if (r.hang) {
            while (!stopping.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
            return false;
        }
        std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
        for (const auto& [k, v] : r.headers) head += k + ": " + v + "\r\n";
        if (r.chunked)
            head += "Transfer-Encoding: chunked\r\n";
        else
            head += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
        if (r.close_after) head += "Connection: close\r\n";
        head += "\r\n";
        error_code ec;
        asio::write(s, asio::buffer(head), ec);
        if (ec) return false;

        std::vector<std::size_t> pieces = r.pieces.empty() ? std::vector<std::size_t>{r.body.size()} : r.pieces;
        std::size_t at = 0;
        for (std::size_t size : pieces) {
            if (size == 0) continue;
            std::size_t n = std::min(size, r.body.size() - at);
            bool drop_here = r.drop_at && at + n >= *r.drop_at;
            if (drop_here) n = *r.drop_at - at;
            std::string out;
            if (r.chunked && n > 0) {
                char hex[20];
                std::snprintf(hex, sizeof hex, "%zx\r\n", n);
                out = hex + r.body.substr(at, n) + "\r\n";
            } else {
                out = r.body.substr(at, n);
            }
            if (!out.empty()) asio::write(s, asio::buffer(out), ec);
            if (ec) return false;
            at += n;
            if (drop_here) return false;  // unterminated: the client sees the connection end mid-body
            if (r.piece_delay.count()) std::this_thread::sleep_for(r.piece_delay);
            if (at >= r.body.size()) break;
        }
        if (r.chunked) asio::write(s, asio::buffer(std::string("0\r\n\r\n")), ec);
        return !ec && !r.close_after;
    }

    template <class Stream>
    void serve(Stream& s) {
        std::string buf;
        while (!stopping.load()) {
            ReceivedRequest req;
            if (!read_request(s, buf, req)) return;
            Handler h;
            {
                std::lock_guard lock(mutex);
                if (record) received.push_back(req);
                std::string path = req.target.substr(0, req.target.find('?'));
                auto it = handlers.find({req.method, path});
                if (it != handlers.end()) h = it->second;
            }
            FixtureResponse r;
            if (h)
                r = h(req);
            else {
                r.status = 404;
                r.headers = {{"Content-Type", "text/plain"}};
                r.body = "404 page not found";
            }
            if (!respond(s, r)) return;
        }
    }

    void accept_loop(std::atomic<std::size_t>& counter) {
        while (!stopping.load()) {
            auto sock = std::make_shared<tcp::socket>(io);
            error_code ec;
            acceptor.accept(*sock, ec);
            if (ec || stopping.load()) return;
            ++counter;
            sock->set_option(tcp::no_delay(true), ec);
            std::lock_guard lock(mutex);
            open_sockets.push_back(sock);
            workers.emplace_back([this, sock] {
                if (tls) {
                    asio::ssl::stream<tcp::socket&> s(*sock, *tls);
                    error_code hec;
                    s.handshake(asio::ssl::stream_base::server, hec);
                    if (!hec) serve(s);
                } else {
                    serve(*sock);
                }
                error_code ignored;
                sock->shutdown(tcp::socket::shutdown_both, ignored);
            });
        }
    }
};

FixtureServer::FixtureServer(std::optional<Tls> tls, uint16_t port) : impl_(std::make_unique<Impl>()) {
    if (tls) {
        impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        impl_->tls->use_certificate_chain_file(tls->cert_file);
        impl_->tls->use_private_key_file(tls->key_file, asio::ssl::context::pem);
    }
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
    port_ = impl_->acceptor.local_endpoint().port();
    impl_->accept_thread = std::thread([this] { impl_->accept_loop(connections_); });
}

FixtureServer::~FixtureServer() {
    impl_->stopping.store(true);
    error_code ec;
    // Wake the blocking accept with a connection of our own, then close everything.
    {
        tcp::socket poke(impl_->io);
        poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    }
    impl_->accept_thread.join();
    impl_->acceptor.close(ec);
    std::vector<std::thread> workers;
    {
        std::lock_guard lock(impl_->mutex);
        for (auto& s : impl_->open_sockets) {
            s->shutdown(tcp::socket::shutdown_both, ec);
        }
        workers.swap(impl_->workers);
    }
    for (auto& t : workers) t.join();
}

std::string FixtureServer::url() const {
    return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void FixtureServer::on(const std::string& method, const std::string& path, Handler handler) {
    std::lock_guard lock(impl_->mutex);
    impl_->handlers[{method, path}] = std::move(handler);
}

void FixtureServer::clear_handlers() {
    std::lock_guard lock(impl_->mutex);
    impl_->handlers.clear();
}

std::vector<ReceivedRequest> FixtureServer::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->received;
}

void FixtureServer::record_requests(bool on) {
    std::lock_guard lock(impl_->mutex);
    impl_->record = on;
}

}  // namespace autoarr::test
