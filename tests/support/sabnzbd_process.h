// A real SABnzbd (Debian's sabnzbdplus) on loopback with a temporary config,
// for the live connector and fix tests. Starts in the constructor (bounded:
// 30 s) and stops with the object; `started()` says whether it came up.
#pragma once

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "http/client.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

namespace autoarr::test {

class SabnzbdProcess {
public:
    static constexpr const char* kKey = "0123456789abcdef0123456789abcdef";

    SabnzbdProcess() {
        if (std::system("command -v sabnzbdplus >/dev/null") != 0) {
            error_ = "sabnzbdplus is not installed (scripts/setup.sh installs it)";
            return;
        }
        port_ = free_port();
        url_ = "http://127.0.0.1:" + std::to_string(port_);
        auto ini = dir_.path() / "sabnzbd.ini";
        write_file(ini, "[misc]\napi_key = " + std::string(kKey) +
                            "\nnzb_key = fedcba9876543210fedcba9876543210\nhost = 127.0.0.1\nport = " +
                            std::to_string(port_) + "\ndownload_dir = " + (dir_.path() / "incomplete").string() +
                            "\ncomplete_dir = " + (dir_.path() / "complete").string() + "\n");
        process_ =
            std::make_unique<ChildProcess>(std::vector<std::string>{"sabnzbdplus", "-f", ini.string(), "-s",
                                                                    "127.0.0.1:" + std::to_string(port_), "-b", "0"},
                                           (dir_.path() / "sabnzbd.log").string());
        for (int i = 0; i < 300; ++i) {
            if (call("mode=version").find("version") != std::string::npos) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        error_ = "SABnzbd did not start: " + read_file(dir_.path() / "sabnzbd.log");
    }

    bool started() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    const std::string& url() const { return url_; }
    const std::filesystem::path& dir() const { return dir_.path(); }

    // GET /api?<query>&output=json&apikey=KEY; "" when it cannot be reached.
    std::string call(const std::string& query) const {
        std::string why;
        http::Client c(*http::parse_base_url(url_, why));
        http::Request r;
        r.target = "/api?" + query + "&output=json&apikey=" + kKey;
        try {
            return c.fetch(r, std::chrono::steady_clock::now() + std::chrono::seconds(5), nullptr).second;
        } catch (const std::exception&) {
            return {};
        }
    }

    // set_config answers with the value now in force: "" when it took, else the answer.
    std::string set(const std::string& section, const std::string& key, const std::string& value) const {
        auto answer = call("mode=set_config&section=" + section + "&keyword=" + key + "&value=" + value);
        boost::json::error_code ec;
        auto v = boost::json::parse(answer, ec);
        if (ec) return answer;
        const auto* now = v.at("config").at(section).as_object().if_contains(key);
        if (!now) return answer;
        std::string got = now->is_string() ? std::string(now->get_string()) : boost::json::serialize(*now);
        return got == value ? std::string() : answer;
    }

private:
    static uint16_t free_port() {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
        return a.local_endpoint().port();
    }

    TempDir dir_;
    uint16_t port_ = 0;
    std::string url_;
    std::string error_;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace autoarr::test
