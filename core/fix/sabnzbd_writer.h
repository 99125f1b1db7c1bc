// SABnzbd's configuration API: `mode=set_config` writes one keyword of a
// section (misc, logging), or one attribute of a named server, category or
// sorter; `mode=get_config` reads it back. SABnzbd keeps every value as text.
#pragma once

#include "connectors/app_api.h"
#include "fix/app_writer.h"

namespace autoarr::fix {

class SabnzbdWriter : public AppWriter {
public:
    SabnzbdWriter(const config::AppConfig& cfg, std::chrono::milliseconds timeout);
    boost::json::value read(const Change& change) override;
    void write(const Change& change, const boost::json::value& value) override;
    std::string describe(const Change& change, const boost::json::value& value) const override {
        return call_text(change, value);
    }
    static std::string call_text(const Change& change, const boost::json::value& value);

private:
    connectors::AppApi api_;
};

// A value as SABnzbd's API takes it: true/false as 1/0, numbers and text as they are.
std::string sabnzbd_text(const boost::json::value& value);

}  // namespace autoarr::fix
