// A provider's fixture manifest (tests/fixtures/<provider>/manifest.json):
// entries by file, the response each describes, and the delivery plans the
// .splits.json sidecars recommend. Shared by the Ollama and Claude tests.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "support/fixture_server.h"

namespace autoarr::test {

class ManifestFixtures {
public:
    explicit ManifestFixtures(std::string provider)
        : provider_(std::move(provider)), manifest_(boost::json::parse(fixture_bytes(provider_ + "/manifest.json"))) {}

    boost::json::object entry(const std::string& file) const {
        for (const auto& e : manifest_.at("entries").as_array())
            if (e.at("file").as_string() == file) return e.as_object();
        throw std::runtime_error("no manifest entry " + file);
    }
    std::string expected(const std::string& file, const char* key) const {
        return std::string(entry(file).at("expected").at(key).as_string());
    }
    // The manifest's status and headers with the file's exact bytes; streams are
    // chunked, and *_truncated fixtures drop the connection mid-body.
    FixtureResponse response(const std::string& file) const {
        auto e = entry(file);
        FixtureResponse r;
        r.status = static_cast<int>(e.at("status").as_int64());
        for (const auto& h : e.at("headers").as_object()) r.headers.emplace_back(h.key(), h.value().as_string());
        r.body = fixture_bytes(provider_ + "/" + file);
        r.chunked = file.find(".ndjson") != std::string::npos || file.find(".sse") != std::string::npos;
        if (file.find("truncated") != std::string::npos) r.drop_at = r.body.size();
        return r;
    }
    // Every plan a sidecar recommends: 1 byte per write, one write per hostile
    // segment, random sizes 1..17 with seeds 1..50, and the whole body at once.
    std::vector<std::pair<std::string, std::vector<std::size_t>>> hostile_plans(const std::string& file) const {
        auto splits = boost::json::parse(fixture_bytes(provider_ + "/" + file + ".splits.json")).as_object();
        std::vector<std::size_t> offsets;
        for (const char* key : {"hostile_offsets", "multibyte_continuation_offsets"})
            for (const auto& o : splits.at(key).as_array()) offsets.push_back(static_cast<std::size_t>(o.as_int64()));
        std::sort(offsets.begin(), offsets.end());
        const std::size_t n = fixture_bytes(provider_ + "/" + file).size();
        std::vector<std::pair<std::string, std::vector<std::size_t>>> plans = {
            {"bytewise", plan_bytewise(n)}, {"hostile offsets", plan_at_offsets(n, offsets)}, {"whole", {}}};
        for (unsigned seed = 1; seed <= 50; ++seed)
            plans.push_back({"seed " + std::to_string(seed), plan_random(n, seed)});
        return plans;
    }
    boost::json::value splits_expected(const std::string& file) const {
        return boost::json::parse(fixture_bytes(provider_ + "/" + file + ".splits.json")).at("expected");
    }

private:
    std::string provider_;
    boost::json::value manifest_;
};

}  // namespace autoarr::test
