#include "fix/arr_writer.h"

#include "util/secret_scrubber.h"

namespace autoarr::fix {
namespace json = boost::json;

namespace {

std::string item_path(const Change& c) {
    return c.item.empty() ? c.resource : c.resource + "/" + c.item;
}

std::string text_of(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::string validation_failures(const std::string& body) {
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) return util::safe_error_text(body.substr(0, 200));
    std::string out;
    if (v.is_array()) {
        for (const auto& f : v.get_array()) {
            if (!f.is_object()) continue;
            const std::string prop = text_of(f.get_object(), "propertyName");
            const std::string msg = text_of(f.get_object(), "errorMessage");
            if (msg.empty()) continue;
            out += (out.empty() ? "" : "; ") + (prop.empty() ? msg : prop + ": " + msg);
        }
    } else if (v.is_object()) {
        out = text_of(v.get_object(), "message");
        if (const std::string d = text_of(v.get_object(), "description"); !d.empty())
            out += (out.empty() ? "" : ": ") + d;
    }
    return util::safe_error_text(out.empty() ? body.substr(0, 200) : out);
}

ArrWriter::ArrWriter(const std::string& app, const config::AppConfig& cfg, std::chrono::milliseconds timeout) try
    : name_(app == "sonarr" ? "Sonarr" : "Radarr"), api_(app, cfg, timeout) {
} catch (const connectors::AppApiError& e) {
    throw WriteError(app + ": " + e.what());
}

json::value ArrWriter::get_resource(const Change& c) {
    try {
        auto r = api_.arr("GET", item_path(c));
        if (r.status == 404)
            throw WriteError(name_ + " has no " + c.resource + " with id " + c.item + " (removed since the audit)");
        if (r.status != 200)
            throw WriteError(name_ + " " + item_path(c) + " answered HTTP " + std::to_string(r.status) + ": " +
                             validation_failures(r.body));
        json::value doc = connectors::parse_answer(r, item_path(c));
        if (!doc.is_object()) throw WriteError(name_ + " " + item_path(c) + " is not a JSON object");
        return doc;
    } catch (const connectors::AppApiError& e) {
        throw WriteError(name_ + ": " + e.what());
    }
}

json::value ArrWriter::read(const Change& c) {
    json::value doc = get_resource(c);
    auto v = read_field(doc, c.field);
    if (!v) throw WriteError(name_ + " " + item_path(c) + " has no field " + c.field);
    return *v;
}

void ArrWriter::write(const Change& c, const json::value& value) {
    json::value doc = get_resource(c);  // the whole resource as it is now
    if (!set_field(doc, c.field, value)) throw WriteError(name_ + " " + item_path(c) + " has no field " + c.field);
    std::string id;
    if (const auto* v = doc.get_object().if_contains("id"); v && v->is_number())
        id = std::to_string(v->to_number<int64_t>());
    if (id.empty()) throw WriteError(name_ + " " + item_path(c) + " has no id to PUT to");
    try {
        auto r = api_.arr("PUT", c.resource + "/" + id, json::serialize(doc));
        if (r.status == 200 || r.status == 201 || r.status == 202) return;
        if (r.status == 400 || r.status == 422)
            throw WriteError(name_ + " refused " + setting_name(c) + ": " + validation_failures(r.body));
        if (r.status == 404)
            throw WriteError(name_ + " has no " + c.resource + " with id " + id + " (removed since the audit)");
        throw WriteError(name_ + " answered HTTP " + std::to_string(r.status) + " to PUT " + c.resource + "/" + id +
                         ": " + validation_failures(r.body));
    } catch (const connectors::AppApiError& e) {
        throw WriteError(name_ + ": " + e.what());
    }
}

std::string ArrWriter::call_text(const Change& c) {
    const std::string id = c.resource_id.empty() ? "{id}" : c.resource_id;
    return "GET /api/v3/" + item_path(c) + ", then PUT /api/v3/" + c.resource + "/" + id +
           " with the whole resource (" + c.field + " changed)";
}

}  // namespace autoarr::fix
