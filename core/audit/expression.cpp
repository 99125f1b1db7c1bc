#include "audit/expression.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cmath>
#include <cstring>
#include <regex>
#include <set>
#include <stdexcept>

namespace autoarr::audit {
namespace json = boost::json;

namespace {

std::optional<double> number(const Value& v) {
    if (!v) return std::nullopt;
    if (v->is_int64()) return static_cast<double>(v->get_int64());
    if (v->is_uint64()) return static_cast<double>(v->get_uint64());
    if (v->is_double()) return v->get_double();
    if (v->is_bool()) return v->get_bool() ? 1.0 : 0.0;
    if (v->is_string()) {
        std::string s(v->get_string());
        if (s.empty()) return std::nullopt;
        char* end = nullptr;
        double d = std::strtod(s.c_str(), &end);
        if (end && *end == 0) return d;
    }
    return std::nullopt;
}

std::optional<std::string> text(const Value& v) {
    if (!v) return std::nullopt;
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_int64()) return std::to_string(v->get_int64());
    if (v->is_bool()) return v->get_bool() ? "true" : "false";
    return std::nullopt;
}

bool equal(const Value& a, const Value& b) {
    if (!a || !b) return !a && !b;
    auto na = number(a), nb = number(b);
    if (na && nb && !(a->is_string() && b->is_string())) return *na == *nb;
    if (a->is_string() && b->is_string()) return a->get_string() == b->get_string();
    return *a == *b;
}

const json::array* as_array(const Value& v) {
    return v && v->is_array() ? &v->get_array() : nullptr;
}

std::string normalise_path(std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
}

// POSIX paths: child equals parent or lies below it.
bool path_inside(const std::string& child, const std::string& parent) {
    std::string c = normalise_path(child), p = normalise_path(parent);
    if (c.empty() || p.empty()) return false;
    if (c == p) return true;
    if (p == "/") return c.front() == '/';
    return c.size() > p.size() && c.compare(0, p.size(), p) == 0 && c[p.size()] == '/';
}

std::string top_dir(const std::string& p) {
    std::string n = normalise_path(p);
    if (n.empty() || n[0] != '/') return {};
    auto next = n.find('/', 1);
    return n.substr(0, next);
}

// SABnzbd: a category's output folder (RULES.md §2.1).
std::string sab_category_path(const std::string& complete_dir, std::string dir) {
    while (!dir.empty() && dir.back() == '*') dir.pop_back();
    if (dir.empty()) return normalise_path(complete_dir);
    if (dir[0] == '/') return normalise_path(dir);
    return normalise_path(normalise_path(complete_dir) + "/" + dir);
}

struct Op {
    int min_args;
    int max_args;  // -1: any
};

const std::map<std::string, Op, std::less<>>& ops() {
    static const std::map<std::string, Op, std::less<>> table = {
        {"eq", {2, 2}},           {"ne", {2, 2}},
        {"lt", {2, 2}},           {"le", {2, 2}},
        {"gt", {2, 2}},           {"ge", {2, 2}},
        {"and", {1, -1}},         {"or", {1, -1}},
        {"not", {1, 1}},          {"on", {1, 1}},
        {"off", {1, 1}},          {"empty", {1, 1}},
        {"exists", {1, 1}},       {"in", {2, 2}},
        {"contains", {2, 2}},     {"matches", {2, 2}},
        {"lower", {1, 1}},        {"len", {1, 1}},
        {"any", {3, 3}},          {"all", {3, 3}},
        {"count", {3, 3}},        {"filter", {3, 3}},
        {"map", {3, 3}},          {"sum", {1, 1}},
        {"max", {1, 1}},          {"size", {1, 1}},
        {"major", {1, 1}},        {"before_today", {1, 1}},
        {"field", {2, 2}},        {"inside", {2, 2}},
        {"top", {1, 1}},          {"abs", {1, 1}},
        {"sab_cat_path", {2, 2}}, {"coalesce", {1, -1}},
        {"if", {3, 3}},           {"let", {2, 2}},
        {"is_ip", {1, 1}},        {"is_public_host", {1, 1}},
        {"distinct", {1, 1}},     {"concat", {1, -1}},
        {"lit", {1, 1}},          {"first", {1, 1}},
        {"find", {3, 3}},         {"sab_category", {2, 2}},
        {"remap", {3, 3}},        {"strip_suffix", {2, 2}},
    };
    return table;
}

Value path_value(std::string_view path, Scope& scope) {
    // "$root.a.b": root is a variable, or one of sab / sabver / app / arrs / docs / today / appname.
    std::string_view rest = path.substr(1);
    auto dot = rest.find('.');
    std::string root(rest.substr(0, dot));
    std::string_view tail = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);

    const json::object* docs = scope.documents;
    auto doc = [&](std::initializer_list<std::string_view> keys) -> Value {
        if (!docs) return std::nullopt;
        const json::value* v = nullptr;
        const json::object* o = docs;
        for (auto k : keys) {
            if (!o) return std::nullopt;
            v = o->if_contains(k);
            if (!v) return std::nullopt;
            o = v->is_object() ? &v->get_object() : nullptr;
        }
        return v ? Value::ref(v) : Value();
    };
    Value cur;
    if (auto it = scope.vars.find(root); it != scope.vars.end())
        cur = it->second;
    else if (root == "sab")
        cur = doc({"sabnzbd", "get_config", "config"});
    else if (root == "sabver")
        cur = doc({"sabnzbd", "version", "version"});
    else if (root == "app")
        cur = doc({std::string_view(scope.app)});
    else if (root == "appname")
        cur = json::value(scope.app);
    else if (root == "today")
        cur = json::value(scope.today);
    else if (root == "arrs") {
        if (!scope.arrs) {  // [{"name": "sonarr", "docs": {...}}, ...], borrowed documents copied once
            json::array arr;
            for (const char* name : {"sonarr", "radarr"})
                if (auto d = doc({name})) arr.push_back(json::object{{"name", name}, {"docs", *d}});
            scope.arrs = json::value(std::move(arr));
        }
        cur = scope.arrs;
    } else {
        return std::nullopt;
    }
    while (cur && !tail.empty()) {
        auto d2 = tail.find('.');
        std::string_view seg = tail.substr(0, d2);
        tail = d2 == std::string_view::npos ? std::string_view() : tail.substr(d2 + 1);
        if (!cur->is_object()) return std::nullopt;
        const json::value* next = cur->get_object().if_contains(seg);
        if (!next) return std::nullopt;
        cur = cur.part(next);
    }
    return cur;
}

const std::regex& cached_regex(const std::string& pattern) {
    // A rule set has a few dozen patterns; the bound only matters to a
    // process that loads rule files without end (the fuzz targets).
    constexpr std::size_t kMaxCached = 256;
    thread_local std::map<std::string, std::regex> cache;
    auto it = cache.find(pattern);
    if (it == cache.end()) {
        if (cache.size() >= kMaxCached) cache.clear();
        it = cache.emplace(pattern, std::regex(pattern, std::regex::ECMAScript)).first;
    }
    return it->second;
}

// Why std::regex must not be given this pattern, or "". Found by fuzzing:
// libstdc++ reads a repetition count such as {99999999999999999999}, or a
// back-reference such as \99999999999999999999, with signed overflow
// (undefined behaviour), and nested counts make an automaton
// of their product's size. Counts are capped at kMaxRepeat, their product
// at kMaxRepeatProduct, the pattern at kMaxPatternBytes.
std::string regex_problem(std::string_view pattern) {
    constexpr std::size_t kMaxPatternBytes = 1024;
    constexpr uint64_t kMaxRepeat = 1000, kMaxRepeatProduct = 10000;
    if (pattern.size() > kMaxPatternBytes) return "is longer than " + std::to_string(kMaxPatternBytes) + " bytes";
    uint64_t product = 1;
    bool in_class = false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\') {
            // \N is a back-reference, read with the same unchecked arithmetic.
            std::size_t digits = 0;
            while (i + 1 + digits < pattern.size() && pattern[i + 1 + digits] >= '0' && pattern[i + 1 + digits] <= '9')
                ++digits;
            if (digits > 3) return "has a back-reference number longer than 3 digits";
            i += std::max<std::size_t>(digits, 1);  // an escaped character is literal
            continue;
        }
        if (in_class) {
            in_class = c != ']';
            continue;
        }
        if (c == '[') in_class = true;
        if (c != '{') continue;
        for (std::size_t j = i + 1; j < pattern.size() && pattern[j] != '}'; ++j) {
            if (pattern[j] < '0' || pattern[j] > '9') continue;
            uint64_t n = 0;
            while (j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9' && n <= kMaxRepeat)
                n = n * 10 + static_cast<uint64_t>(pattern[j++] - '0');
            if (n > kMaxRepeat) return "repeats more than " + std::to_string(kMaxRepeat) + " times";
            product *= std::max<uint64_t>(n, 1);
            if (product > kMaxRepeatProduct)
                return "has repetition counts whose product passes " + std::to_string(kMaxRepeatProduct);
            --j;
        }
    }
    return {};
}

Value bind_loop(const std::string& op, const json::array& args, Scope& scope) {
    Value list = evaluate(args[0], scope);
    const std::string var(args[1].as_string());
    const json::array* items = as_array(list);
    std::optional<Value> saved;
    if (auto it = scope.vars.find(var); it != scope.vars.end()) saved = it->second;
    json::array out;
    int64_t n = 0;
    bool any = false, all = true;
    Value found;
    if (items) {
        for (const auto& item : *items) {
            scope.vars[var] = list.part(&item);  // no copy of the element
            Value r = evaluate(args[2], scope);
            if (op == "map") {
                if (r) out.push_back(*r);
                continue;
            }
            bool t = truthy(r);
            if (op == "find" && t) {
                found = list.part(&item);
                break;
            }
            if (t) {
                ++n;
                any = true;
                if (op == "filter") out.push_back(item);
            } else {
                all = false;
            }
            if (op == "any" && any) break;
        }
    }
    if (saved)
        scope.vars[var] = *saved;
    else
        scope.vars.erase(var);
    if (op == "any") return json::value(any);
    if (op == "all") return json::value(items ? all : false);
    if (op == "count") return json::value(n);
    if (op == "find") return found;
    return json::value(std::move(out));
}

}  // namespace

bool truthy(const Value& v) {
    if (!v || v->is_null()) return false;
    if (v->is_bool()) return v->get_bool();
    if (v->is_int64()) return v->get_int64() != 0;
    if (v->is_uint64()) return v->get_uint64() != 0;
    if (v->is_double()) return v->get_double() != 0;
    if (v->is_string()) {
        std::string s(v->get_string());
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        return !(s.empty() || s == "0" || s == "false" || s == "no" || s == "off");
    }
    if (v->is_array()) return !v->get_array().empty();
    return !v->get_object().empty();
}

std::optional<double> parse_size(std::string_view t) {
    std::string s(t);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (s.empty()) return std::nullopt;
    double mult = 1;
    char u = static_cast<char>(std::toupper(static_cast<unsigned char>(s.back())));
    if (u == 'K' || u == 'M' || u == 'G' || u == 'T') {
        mult = u == 'K' ? 1024.0 : u == 'M' ? 1048576.0 : u == 'G' ? 1073741824.0 : 1099511627776.0;
        s.pop_back();
    }
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || !end || *end) return std::nullopt;
    return v * mult;
}

void validate(const json::value& expr) {
    if (expr.is_string()) {
        std::string_view s = expr.get_string();
        if (!s.empty() && s[0] == '$' && s.size() < 2) throw std::invalid_argument("empty path \"$\"");
        return;
    }
    if (expr.is_array()) {
        for (const auto& e : expr.get_array()) validate(e);
        return;
    }
    if (!expr.is_object()) return;
    const auto& o = expr.get_object();
    if (o.size() != 1)
        throw std::invalid_argument("an operator object must have exactly one key: " + json::serialize(expr));
    const auto& [name, args] = *o.begin();
    auto it = ops().find(name);
    if (it == ops().end()) throw std::invalid_argument("unknown operator \"" + std::string(name) + "\"");
    if (name == "lit") return;
    int n = args.is_array() ? static_cast<int>(args.get_array().size()) : 1;
    if (n < it->second.min_args || (it->second.max_args >= 0 && n > it->second.max_args))
        throw std::invalid_argument(
            "operator \"" + std::string(name) + "\" takes " + std::to_string(it->second.min_args) +
            (it->second.max_args == it->second.min_args ? "" : "+") + " argument(s), got " + std::to_string(n));
    static const std::set<std::string_view> binders = {"any", "all", "count", "filter", "map", "find"};
    if (binders.count(name) && !args.get_array()[1].is_string())
        throw std::invalid_argument("operator \"" + std::string(name) + "\" needs a variable name as its 2nd argument");
    if (name == "matches") {
        const auto& re = args.get_array()[1];
        if (!re.is_string()) throw std::invalid_argument("matches needs a literal regex");
        if (auto why = regex_problem(re.get_string()); !why.empty())
            throw std::invalid_argument("bad regex \"" + std::string(re.get_string()) + "\": it " + why);
        try {
            std::regex r(std::string(re.get_string()), std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            throw std::invalid_argument("bad regex \"" + std::string(re.get_string()) + "\": " + e.what());
        }
    }
    if (name == "let") {
        if (!args.get_array()[0].is_object()) throw std::invalid_argument("let needs an object of bindings");
        for (const auto& kv : args.get_array()[0].get_object()) validate(kv.value());
        validate(args.get_array()[1]);
        return;
    }
    if (args.is_array()) {
        for (std::size_t i = 0; i < args.get_array().size(); ++i)
            if (!(binders.count(name) && i == 1)) validate(args.get_array()[i]);
    } else {
        validate(args);
    }
}

Value evaluate(const json::value& expr, Scope& scope) {
    if (expr.is_string()) {
        std::string_view s = expr.get_string();
        if (!s.empty() && s[0] == '$') return path_value(s, scope);
        return Value::ref(&expr);  // rule text outlives the evaluation
    }
    if (expr.is_array()) {
        json::array out;
        for (const auto& e : expr.get_array())
            if (auto v = evaluate(e, scope)) out.push_back(*v);
        return json::value(std::move(out));
    }
    if (!expr.is_object() || expr.get_object().size() != 1) return Value::ref(&expr);
    // Not a structured binding: clang 14 (the fuzz preset) cannot capture one in a lambda.
    const auto& member = *expr.get_object().begin();
    const json::value& raw = member.value();
    const std::string op(member.key());
    if (op == "lit") return Value::ref(&raw);
    static const json::array empty;
    const json::array& args = raw.is_array() ? raw.get_array() : empty;
    auto arg = [&](std::size_t i) -> Value { return evaluate(raw.is_array() ? args[i] : raw, scope); };

    if (op == "any" || op == "all" || op == "count" || op == "filter" || op == "map" || op == "find")
        return bind_loop(op, args, scope);
    if (op == "and") {
        for (const auto& a : args)
            if (!truthy(evaluate(a, scope))) return json::value(false);
        return json::value(true);
    }
    if (op == "or") {
        for (const auto& a : args)
            if (truthy(evaluate(a, scope))) return json::value(true);
        return json::value(false);
    }
    if (op == "if") return truthy(arg(0)) ? arg(1) : arg(2);
    if (op == "let") {
        std::vector<std::pair<std::string, std::optional<Value>>> saved;
        for (const auto& kv : args[0].get_object()) {
            std::string name(kv.key());
            auto it = scope.vars.find(name);
            saved.emplace_back(name, it == scope.vars.end() ? std::nullopt : std::optional<Value>(it->second));
            if (Value v = evaluate(kv.value(), scope))
                scope.vars[name] = v;
            else
                scope.vars.erase(name);
        }
        Value r = evaluate(args[1], scope);
        for (auto& [name, v] : saved) {
            if (v)
                scope.vars[name] = *v;
            else
                scope.vars.erase(name);
        }
        return r;
    }
    if (op == "coalesce") {
        for (const auto& a : args)
            if (Value v = evaluate(a, scope); v && !v->is_null()) return v;
        return std::nullopt;
    }
    if (op == "not") return json::value(!truthy(arg(0)));
    if (op == "on") return json::value(truthy(arg(0)));
    if (op == "off") {
        Value v = arg(0);
        return json::value(v.has_value() && !truthy(v));
    }
    if (op == "exists") {
        Value v = arg(0);
        return json::value(v.has_value() && !v->is_null());
    }
    if (op == "empty") {
        Value v = arg(0);
        return json::value(!v || v->is_null() || (v->is_string() && v->get_string().empty()) ||
                           (v->is_array() && v->get_array().empty()) || (v->is_object() && v->get_object().empty()));
    }
    if (op == "eq") return json::value(equal(arg(0), arg(1)));
    if (op == "ne") {
        Value a = arg(0), b = arg(1);
        return json::value(a.has_value() && !equal(a, b));
    }
    if (op == "lt" || op == "le" || op == "gt" || op == "ge") {
        auto a = number(arg(0)), b = number(arg(1));
        if (!a || !b) return json::value(false);
        bool r = op == "lt" ? *a < *b : op == "le" ? *a <= *b : op == "gt" ? *a > *b : *a >= *b;
        return json::value(r);
    }
    if (op == "in") {
        Value x = arg(0);
        Value list_value = arg(1);
        const json::array* list = as_array(list_value);
        if (!x || !list) return json::value(false);
        for (const auto& e : *list)
            if (equal(x, Value::ref(&e))) return json::value(true);
        return json::value(false);
    }
    if (op == "contains") {
        Value c = arg(0), x = arg(1);
        if (!c || !x) return json::value(false);
        if (c->is_array()) {
            for (const auto& e : c->get_array())
                if (equal(Value::ref(&e), x)) return json::value(true);
            return json::value(false);
        }
        auto cs = text(c), xs = text(x);
        return json::value(cs && xs && cs->find(*xs) != std::string::npos);
    }
    if (op == "matches") {
        auto s = text(arg(0));
        if (!s) return json::value(false);
        return json::value(std::regex_search(*s, cached_regex(std::string(args[1].get_string()))));
    }
    if (op == "lower") {
        auto s = text(arg(0));
        if (!s) return std::nullopt;
        std::transform(s->begin(), s->end(), s->begin(), [](unsigned char c) { return std::tolower(c); });
        return json::value(*s);
    }
    if (op == "strip_suffix") {  // [text, suffix]: the text without that ending (fix values)
        auto s = text(arg(0)), suffix = text(arg(1));
        if (!s || !suffix) return std::nullopt;
        if (!suffix->empty() && s->size() >= suffix->size() && s->ends_with(*suffix))
            s->resize(s->size() - suffix->size());
        return json::value(*s);
    }
    if (op == "len") {
        Value v = arg(0);
        if (!v) return std::nullopt;
        if (v->is_string()) return json::value(static_cast<int64_t>(v->get_string().size()));
        if (v->is_array()) return json::value(static_cast<int64_t>(v->get_array().size()));
        return std::nullopt;
    }
    if (op == "sum" || op == "max") {
        Value list_value = arg(0);
        const json::array* list = as_array(list_value);
        if (!list) return std::nullopt;
        double acc = op == "sum" ? 0 : -INFINITY;
        for (const auto& e : *list)
            if (auto n = number(Value::ref(&e))) acc = op == "sum" ? acc + *n : std::max(acc, *n);
        if (op == "max" && acc == -INFINITY) return std::nullopt;
        return json::value(acc);
    }
    if (op == "size") {
        auto s = text(arg(0));
        if (!s) return std::nullopt;
        auto n = parse_size(*s);
        return n ? Value(json::value(*n)) : std::nullopt;
    }
    if (op == "major") {
        auto s = text(arg(0));
        if (!s || s->empty() || !std::isdigit(static_cast<unsigned char>((*s)[0]))) return std::nullopt;
        return json::value(static_cast<int64_t>(std::strtol(s->c_str(), nullptr, 10)));
    }
    if (op == "before_today") {
        auto s = text(arg(0));
        if (!s || s->size() < 10) return json::value(false);
        return json::value(s->substr(0, 10) < scope.today);
    }
    if (op == "field") {  // *arr schema fields: [{"name": n, "value": v}, ...]
        Value fields_value = arg(0);
        const json::array* fields = as_array(fields_value);
        auto name = text(arg(1));
        if (!fields || !name) return std::nullopt;
        for (const auto& f : *fields)
            if (f.is_object() && f.get_object().contains("name") && f.at("name") == json::value(*name)) {
                const auto* v = f.get_object().if_contains("value");
                return v ? fields_value.part(v) : Value();
            }
        return std::nullopt;
    }
    if (op == "inside") {
        auto c = text(arg(0)), p = text(arg(1));
        return json::value(c && p && path_inside(*c, *p));
    }
    if (op == "top") {
        auto p = text(arg(0));
        if (!p) return std::nullopt;
        return json::value(top_dir(*p));
    }
    if (op == "abs") {
        auto p = text(arg(0));
        return json::value(p && !p->empty() && (*p)[0] == '/');
    }
    if (op == "sab_cat_path") {
        auto complete = text(arg(0)), dir = text(arg(1));
        if (!complete) return std::nullopt;
        return json::value(sab_category_path(*complete, dir.value_or("")));
    }
    if (op == "sab_category") {  // the SAB category object named x, if any
        Value cats_value = arg(0);
        const json::array* cats = as_array(cats_value);
        auto name = text(arg(1));
        if (!cats || !name) return std::nullopt;
        for (const auto& c : *cats)
            if (c.is_object() && c.get_object().contains("name") && c.at("name") == json::value(*name))
                return cats_value.part(&c);
        return std::nullopt;
    }
    if (op == "is_ip") {
        auto s = text(arg(0));
        boost::system::error_code ec;
        if (s) boost::asio::ip::make_address(*s, ec);
        return json::value(s && !ec);
    }
    if (op == "is_public_host") {  // a dotted name or a public IP: reachable beyond a LAN / Docker network
        auto s = text(arg(0));
        if (!s || s->empty()) return json::value(false);
        boost::system::error_code ec;
        auto addr = boost::asio::ip::make_address(*s, ec);
        if (!ec) {
            if (addr.is_loopback() || addr.is_unspecified()) return json::value(false);
            if (addr.is_v4()) {
                auto b = addr.to_v4().to_bytes();
                bool priv = b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168) ||
                            (b[0] == 169 && b[1] == 254) || (b[0] == 100 && (b[1] & 0xC0) == 64);
                return json::value(!priv);
            }
            auto v6 = addr.to_v6();
            return json::value(!(v6.is_link_local() || v6.is_site_local() || (v6.to_bytes()[0] & 0xFE) == 0xFC));
        }
        std::string h = *s;
        std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
        if (h.find('.') == std::string::npos) return json::value(false);  // single-label: Docker/LAN name
        for (const char* local : {".local", ".lan", ".home", ".internal", ".localhost", ".home.arpa"})
            if (h.size() >= std::strlen(local) &&
                h.compare(h.size() - std::strlen(local), std::string::npos, local) == 0)
                return json::value(false);
        return json::value(true);
    }
    if (op == "distinct") {
        Value list_value = arg(0);
        const json::array* list = as_array(list_value);
        if (!list) return std::nullopt;
        json::array out;
        for (const auto& e : *list) {
            bool seen = false;
            for (const auto& o : out) seen = seen || equal(Value::ref(&o), Value::ref(&e));
            if (!seen) out.push_back(e);
        }
        return json::value(std::move(out));
    }
    if (op == "remap") {  // a remote path mapping: [path, remote prefix, local prefix]
        auto p = text(arg(0)), from = text(arg(1)), to = text(arg(2));
        if (!p) return std::nullopt;
        if (!from || !to || !path_inside(*p, *from)) return json::value(*p);
        std::string rest = normalise_path(*p).substr(normalise_path(*from).size());
        return json::value(normalise_path(normalise_path(*to) + rest));
    }
    if (op == "first") {
        Value list_value = arg(0);
        const json::array* list = as_array(list_value);
        if (!list || list->empty()) return std::nullopt;
        return list_value.part(&(*list)[0]);
    }
    if (op == "concat") {
        std::string out;
        for (const auto& a : args)
            if (auto s = text(evaluate(a, scope))) out += *s;
        return json::value(out);
    }
    return std::nullopt;
}

}  // namespace autoarr::audit
