#include "plugin/manifest.h"

#include <boost/json.hpp>
#include <charconv>
#include <fstream>
#include <sstream>

namespace autoarr::plugin {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxManifestBytes = 64 * 1024;

ManifestResult failure(std::string message) {
    return ManifestResult{std::nullopt, std::move(message)};
}

// Reads a required non-empty string field; returns an error text or "".
std::string take_string(const json::object& o, std::string_view key, std::string& out) {
    const json::value* v = o.if_contains(key);
    if (!v) return "missing required field \"" + std::string(key) + "\"";
    if (!v->is_string()) return "field \"" + std::string(key) + "\" must be a string";
    out = std::string(v->get_string());
    if (out.empty()) return "field \"" + std::string(key) + "\" must not be empty";
    return {};
}

}  // namespace

bool valid_plugin_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!alnum(id.front())) return false;
    for (char c : id)
        if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
    return true;
}

std::optional<uint32_t> parse_abi_version(std::string_view text) {
    auto dot = text.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 >= text.size()) return std::nullopt;
    unsigned major = 0, minor = 0;
    auto r1 = std::from_chars(text.data(), text.data() + dot, major);
    auto r2 = std::from_chars(text.data() + dot + 1, text.data() + text.size(), minor);
    if (r1.ec != std::errc{} || r1.ptr != text.data() + dot || r2.ec != std::errc{} ||
        r2.ptr != text.data() + text.size() || major > 0xFFFF || minor > 0xFFFF)
        return std::nullopt;
    return (static_cast<uint32_t>(major) << 16) | minor;
}

std::string format_abi_version(uint32_t version) {
    return std::to_string(version >> 16) + "." + std::to_string(version & 0xFFFF);
}

ManifestResult parse_manifest(std::string_view text, const std::filesystem::path& path) {
    json::error_code ec;
    json::value root = json::parse(text, ec);
    if (ec) return failure("not valid JSON: " + ec.message());
    if (!root.is_object()) return failure("the manifest must be a JSON object");
    const json::object& o = root.get_object();

    Manifest m;
    m.manifest_path = path;
    if (auto e = take_string(o, "manifest_version", m.manifest_version); !e.empty()) return failure(e);
    auto mv = parse_abi_version(m.manifest_version);
    if (!mv) return failure("manifest_version \"" + m.manifest_version + "\" is not <major>.<minor>");
    if ((*mv >> 16) != 1)
        return failure("unknown manifest major version " + std::to_string(*mv >> 16) + " (manifest_version \"" +
                       m.manifest_version + "\"; this host reads 1.x)");

    if (auto e = take_string(o, "id", m.id); !e.empty()) return failure(e);
    if (!valid_plugin_id(m.id))
        return failure("id \"" + m.id + "\" must match [a-z0-9][a-z0-9._-]* (at most 64 characters)");
    if (auto e = take_string(o, "name", m.name); !e.empty()) return failure(e);
    if (auto e = take_string(o, "version", m.version); !e.empty()) return failure(e);
    std::string library;
    if (auto e = take_string(o, "library", library); !e.empty()) return failure(e);
    std::filesystem::path lib(library);
    // LOAD-6: the library sits in the manifest's own directory; no search, no escape.
    if (lib.is_absolute() || lib.has_parent_path() || library == "." || library == "..")
        return failure("library \"" + library + "\" must be a plain file name beside the manifest");
    m.library = path.parent_path() / lib;
    if (auto e = take_string(o, "architecture", m.architecture); !e.empty()) return failure(e);
    if (auto e = take_string(o, "abi_version", m.abi_version); !e.empty()) return failure(e);
    auto av = parse_abi_version(m.abi_version);
    if (!av) return failure("abi_version \"" + m.abi_version + "\" is not <major>.<minor>");
    m.abi_version_number = *av;

    if (const json::value* p = o.if_contains("priority")) {
        if (!p->is_int64() || p->get_int64() < -100000 || p->get_int64() > 100000)
            return failure("field \"priority\" must be an integer between -100000 and 100000");
        m.priority = static_cast<int32_t>(p->get_int64());
    }
    if (const json::value* iso = o.if_contains("isolation")) {
        if (!iso->is_string()) return failure("field \"isolation\" must be a string");
        m.isolation = std::string(iso->get_string());
        if (m.isolation != "in-process" && m.isolation != "process")
            return failure("isolation \"" + m.isolation + "\" is not \"in-process\" or \"process\"");
    }
    m.source_text = std::string(text);
    return ManifestResult{std::move(m), {}};
}

ManifestResult read_manifest(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return failure("cannot open " + path.string());
    std::string text;
    text.resize(kMaxManifestBytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxManifestBytes) return failure("manifest is larger than 64 KiB");
    return parse_manifest(text, path);
}

}  // namespace autoarr::plugin
