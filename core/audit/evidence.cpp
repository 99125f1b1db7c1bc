#include "audit/evidence.h"

#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "audit/expression.h"

namespace autoarr::audit {
namespace json = boost::json;

namespace {

// What a rule reads below one root: keys, "*" for the elements of a list,
// `whole` where the rule uses a value as it is, and `names` where it looks
// up *arr schema fields by name ({"field": [list, "name"]}).
struct Node {
    std::map<std::string, Node> kids;
    bool whole = false;
    std::set<std::string> names;
};

using Segments = std::vector<std::string>;

// Walks a rule's expressions and records every document path it reads.
// Variables bound by the list operators stand for an element of their list,
// so "$c.fields" inside {"any": ["$x.docs.downloadclient", "c", ...]} reads
// arrs.*.docs.downloadclient.*.fields.
class PathCollector {
public:
    std::map<std::string, Node> roots;  // sab | sabver | app | arrs

    void walk(const json::value& e) {
        if (e.is_string()) return read(e.get_string(), nullptr);
        if (e.is_array()) {
            for (const auto& x : e.get_array()) walk(x);
            return;
        }
        if (!e.is_object() || e.get_object().size() != 1) return;
        const auto& [op, args] = *e.get_object().begin();
        if (op == "lit") return;
        const json::array* a = args.is_array() ? &args.get_array() : nullptr;
        if (is_list_op(op) && a && a->size() == 3 && (*a)[1].is_string()) {
            std::string var((*a)[1].get_string());
            if ((*a)[0].is_string()) {
                if (auto abs = resolve((*a)[0].get_string())) {
                    node_at(*abs);  // the list itself, even when no field of it is read
                    abs->push_back("*");
                    vars_[var] = *abs;
                }
            } else {
                walk((*a)[0]);
            }
            return walk((*a)[2]);
        }
        if (op == "field" && a && a->size() == 2 && (*a)[0].is_string() && (*a)[1].is_string()) {
            std::string name((*a)[1].get_string());
            return read((*a)[0].get_string(), &name);
        }
        if (op == "let" && a && a->size() == 2 && (*a)[0].is_object()) {
            for (const auto& kv : (*a)[0].get_object()) {
                walk(kv.value());
                computed_.insert(std::string(kv.key()));
            }
            return walk((*a)[1]);
        }
        walk(args);
    }

private:
    static bool is_list_op(std::string_view op) {
        return op == "any" || op == "all" || op == "count" || op == "filter" || op == "map" || op == "find";
    }

    // "$x.docs.downloadclient" -> arrs, *, docs, downloadclient; nullopt for
    // literals, computed variables and $today.
    std::optional<Segments> resolve(std::string_view path) const {
        if (path.size() < 2 || path[0] != '$') return std::nullopt;
        Segments segs;
        std::string_view rest = path.substr(1);
        while (true) {
            auto dot = rest.find('.');
            segs.emplace_back(rest.substr(0, dot));
            if (dot == std::string_view::npos) break;
            rest.remove_prefix(dot + 1);
        }
        const std::string root = segs.front();
        if (auto it = vars_.find(root); it != vars_.end()) {
            Segments abs = it->second;
            abs.insert(abs.end(), segs.begin() + 1, segs.end());
            return abs;
        }
        if (computed_.contains(root)) return std::nullopt;
        if (root == "sab" || root == "sabver" || root == "app" || root == "arrs") return segs;
        return std::nullopt;
    }

    Node& node_at(const Segments& abs) {
        Node* n = &roots[abs.front()];
        for (std::size_t i = 1; i < abs.size(); ++i) n = &n->kids[abs[i]];
        return *n;
    }

    void read(std::string_view path, const std::string* field_name) {
        auto abs = resolve(path);
        if (!abs) return;
        Node& n = node_at(*abs);
        if (field_name)
            n.names.insert(*field_name);
        else
            n.whole = true;
    }

    std::map<std::string, Segments> vars_;
    std::set<std::string> computed_;
};

// Keys that say which element of a list this is.
constexpr const char* kIdentity[] = {"name", "id", "implementation"};

json::value project(const json::value& v, const Node& n) {
    if (v.is_array()) {
        json::array out;
        for (const auto& el : v.get_array()) {
            if (!n.names.empty()) {  // schema fields: only the named ones, name and value
                if (!el.is_object()) continue;
                const auto* name = el.get_object().if_contains("name");
                if (!name || !name->is_string() || !n.names.contains(std::string(name->get_string()))) continue;
                const auto* value = el.get_object().if_contains("value");
                out.push_back(json::object{{"name", *name}, {"value", value ? *value : json::value(nullptr)}});
                continue;
            }
            if (n.whole && n.kids.empty()) {
                out.push_back(el);
                continue;
            }
            auto star = n.kids.find("*");
            out.push_back(star != n.kids.end() ? project(el, star->second) : el);
        }
        return out;
    }
    if (v.is_object() && !n.kids.empty()) {
        const auto& o = v.get_object();
        json::object out;
        for (const char* k : kIdentity)
            if (const auto* id = o.if_contains(k); id && !id->is_structured()) out[k] = *id;
        for (const auto& [k, kid] : n.kids)
            if (const auto* x = o.if_contains(k)) out[k] = project(*x, kid);
        return out;
    }
    return v;
}

// Shortens lists to `items` elements and strings to `chars` characters.
json::value shorten(const json::value& v, std::size_t items, std::size_t chars) {
    if (v.is_string() && v.get_string().size() > chars) return json::value(utf8_prefix(v.get_string(), chars) + "…");
    if (v.is_array()) {
        json::array out;
        const auto& a = v.get_array();
        for (std::size_t i = 0; i < a.size() && i < items; ++i) out.push_back(shorten(a[i], items, chars));
        if (a.size() > items) out.emplace_back("… " + std::to_string(a.size() - items) + " more");
        return out;
    }
    if (v.is_object()) {
        json::object out;
        for (const auto& kv : v.get_object()) out[kv.key()] = shorten(kv.value(), items, chars);
        return out;
    }
    return v;
}

std::string label(const std::string& root, const Rule& rule) {
    if (root == "sab") return "sabnzbd";
    if (root == "sabver") return "sabnzbd_version";
    if (root == "app") return rule.app.empty() ? "app" : rule.app;
    return "arrs";
}

}  // namespace

std::string utf8_prefix(std::string_view text, std::size_t bytes) {
    if (text.size() <= bytes) return std::string(text);
    std::size_t cut = bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // a continuation byte
    return std::string(text.substr(0, cut));
}

json::value shorten_for_prompt(const json::value& v, std::size_t items, std::size_t chars) {
    return shorten(v, items, chars);
}

json::object rule_evidence(const Rule& rule, const json::object& docs, std::size_t max_bytes) {
    PathCollector paths;
    paths.walk(rule.when);
    paths.walk(rule.current);
    Scope scope;
    scope.documents = &docs;
    scope.app = rule.app;
    json::object out;
    for (const auto& [root, node] : paths.roots) {
        Value v = evaluate(json::value("$" + root), scope);
        if (!v) continue;
        out[label(root, rule)] = project(*v, node);
    }
    // Shrink until it fits: fewer list items, shorter strings.
    for (auto [items, chars] : {std::pair<std::size_t, std::size_t>{12, 240}, {6, 160}, {3, 100}, {1, 60}}) {
        json::value s = shorten(out, items, chars);
        if (json::serialize(s).size() <= max_bytes) return s.as_object();
    }
    return json::object{{"omitted", "the settings this rule reads are too large to quote"}};
}

std::string evidence_fingerprint(const std::string& rule_id, const json::value& current, const json::object& evidence) {
    // FNV-1a, 64 bits: stable across runs and builds (std::hash is not).
    uint64_t h = 1469598103934665603ULL;
    auto mix = [&](std::string_view s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ULL;
        }
        h ^= 0xff;  // a separator, so ("ab","c") and ("a","bc") differ
        h *= 1099511628211ULL;
    };
    mix(rule_id);
    mix(json::serialize(current));
    mix(json::serialize(evidence));
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

}  // namespace autoarr::audit
