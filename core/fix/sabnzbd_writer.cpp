#include "fix/sabnzbd_writer.h"

namespace autoarr::fix {
namespace json = boost::json;

namespace {

using connectors::AppApi;

std::string set_query(const Change& c, const json::value& value) {
    if (c.item.empty())
        return "mode=set_config&section=" + AppApi::encode(c.resource) + "&keyword=" + AppApi::encode(c.field) +
               "&value=" + AppApi::encode(sabnzbd_text(value));
    // Servers, categories and sorters are addressed by name; the attribute
    // is a parameter of its own. (For a name it does not know, SABnzbd
    // creates a new item: read() checks the item exists right before.)
    return "mode=set_config&section=" + AppApi::encode(c.resource) + "&keyword=" + AppApi::encode(c.item) + "&" +
           AppApi::encode(c.field) + "=" + AppApi::encode(sabnzbd_text(value));
}

}  // namespace

std::string sabnzbd_text(const json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_bool()) return v.get_bool() ? "1" : "0";
    if (v.is_null()) return "";
    return json::serialize(v);
}

SabnzbdWriter::SabnzbdWriter(const config::AppConfig& cfg, std::chrono::milliseconds timeout) try
    : api_("sabnzbd", cfg, timeout) {
} catch (const connectors::AppApiError& e) {
    throw WriteError(std::string("sabnzbd: ") + e.what());
}

json::value SabnzbdWriter::read(const Change& c) {
    json::value answer;
    try {
        answer = api_.sabnzbd("mode=get_config&section=" + AppApi::encode(c.resource) +
                              "&keyword=" + AppApi::encode(c.item.empty() ? c.field : c.item));
    } catch (const connectors::AppApiError& e) {
        throw WriteError(std::string("SABnzbd: ") + e.what());
    }
    const json::value* section = nullptr;
    if (const auto* config = answer.is_object() ? answer.get_object().if_contains("config") : nullptr;
        config && config->is_object())
        section = config->get_object().if_contains(c.resource);
    // A named item comes back as a one-element list (servers, categories) or an object (sorters).
    const json::value* holder = section;
    if (section && section->is_array()) holder = section->get_array().empty() ? nullptr : &section->get_array()[0];
    if (!holder || !holder->is_object()) {
        if (!c.item.empty())
            throw WriteError("SABnzbd has no " + c.resource + " item named \"" + c.item +
                             "\" (removed or renamed since the audit)");
        throw WriteError("SABnzbd has no setting " + c.resource + "." + c.field);
    }
    auto v = read_field(*holder, c.field);
    if (!v) throw WriteError("SABnzbd has no setting " + setting_name(c));
    return *v;
}

void SabnzbdWriter::write(const Change& c, const json::value& value) {
    try {
        json::value answer = api_.sabnzbd(set_query(c, value));
        const auto* config = answer.is_object() ? answer.get_object().if_contains("config") : nullptr;
        if (!config)
            throw WriteError("SABnzbd did not confirm " + setting_name(c) + ": " +
                             json::serialize(answer).substr(0, 200));
    } catch (const connectors::AppApiError& e) {
        throw WriteError(std::string("SABnzbd refused ") + setting_name(c) + ": " + e.what());
    }
}

std::string SabnzbdWriter::call_text(const Change& c, const json::value& value) {
    return "GET /api?" + set_query(c, value);
}

}  // namespace autoarr::fix
