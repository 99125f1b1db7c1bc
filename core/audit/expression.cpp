#include "audit/expression.h"

#include <re2/re2.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cmath>
#include <cstring>
#include <memory>
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

// Patterns run on RE2 (decision 0016): matching takes time linear in the
// text whatever the pattern, where std::regex backtracked (the long fuzz run
// found "^0?{0,2}.+*......" taking minutes on 70 characters) and recursed
// once per character. Errors are returned, never logged to stderr.
std::unique_ptr<re2::RE2> compile_regex(std::string_view pattern) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    return std::make_unique<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
}

const re2::RE2& cached_regex(const std::string& pattern) {
    // A rule set has a few dozen patterns; the bound only matters to a
    // process that loads rule files without end (the fuzz targets).
    constexpr std::size_t kMaxCached = 256;
    thread_local std::map<std::string, std::unique_ptr<re2::RE2>> cache;
    auto it = cache.find(pattern);
    if (it == cache.end()) {
        if (cache.size() >= kMaxCached) cache.clear();
        it = cache.emplace(pattern, compile_regex(pattern)).first;
    }
    return *it->second;
}

// Why a pattern is refused before RE2 sees it, or "": longer than
// kMaxPatternBytes, a repetition count above kMaxRepeat, counts whose product
// passes kMaxRepeatProduct (nested counts build a program of that size), or
// a back-reference of more than 3 digits. (These limits were found by
// fuzzing std::regex, which read such numbers with signed overflow; RE2
// refuses back-references and counts above 1000 itself, and they keep the
// same clear messages.)
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

}  // namespace

bool truthy(const Value& v) {
    if (!v || v->is_null()) return false;
    if (v->is_bool()) return v->get_bool();
    if (v->is_int64()) return v->get_int64() != 0;
    if (v->is_uint64()) return v->get_uint64() != 0;
    if (v->is_double()) return v->get_double() != 0;
    if (v->is_string()) {
        std::string s(v->get_string());
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
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

namespace {

// One operator's evaluation: its name, its value (the argument array, or a
// lone argument) and the scope. Arguments are evaluated on demand (arg), so
// and/or/if/coalesce short-circuit and the binders bind before they evaluate.
struct Call {
    std::string_view op;
    const json::value& raw;
    const json::array& args;  // raw's elements; empty when raw is a lone argument
    Scope& scope;
    Value arg(std::size_t i) const { return evaluate(raw.is_array() ? args[i] : raw, scope); }
};

// any, all, count, filter, map, find: [list, variable, expression], the
// expression evaluated with the variable bound to each element in turn.
Value bind_loop(const Call& c) {
    const std::string_view op = c.op;
    const json::array& args = c.args;
    Scope& scope = c.scope;
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

Value op_lit(const Call& c) {
    return Value::ref(&c.raw);  // not evaluated: {"lit": "$x"} is the text "$x"
}

Value op_and(const Call& c) {
    for (const auto& a : c.args)
        if (!truthy(evaluate(a, c.scope))) return json::value(false);
    return json::value(true);
}

Value op_or(const Call& c) {
    for (const auto& a : c.args)
        if (truthy(evaluate(a, c.scope))) return json::value(true);
    return json::value(false);
}

Value op_if(const Call& c) {
    return truthy(c.arg(0)) ? c.arg(1) : c.arg(2);
}

Value op_let(const Call& c) {
    std::vector<std::pair<std::string, std::optional<Value>>> saved;
    for (const auto& kv : c.args[0].get_object()) {
        std::string name(kv.key());
        auto it = c.scope.vars.find(name);
        saved.emplace_back(name, it == c.scope.vars.end() ? std::nullopt : std::optional<Value>(it->second));
        if (Value v = evaluate(kv.value(), c.scope))
            c.scope.vars[name] = v;
        else
            c.scope.vars.erase(name);
    }
    Value r = evaluate(c.args[1], c.scope);
    for (auto& [name, v] : saved) {
        if (v)
            c.scope.vars[name] = *v;
        else
            c.scope.vars.erase(name);
    }
    return r;
}

Value op_coalesce(const Call& c) {
    for (const auto& a : c.args)
        if (Value v = evaluate(a, c.scope); v && !v->is_null()) return v;
    return std::nullopt;
}

Value op_not(const Call& c) {
    return json::value(!truthy(c.arg(0)));
}

Value op_on(const Call& c) {
    return json::value(truthy(c.arg(0)));
}

Value op_off(const Call& c) {
    Value v = c.arg(0);
    return json::value(v.has_value() && !truthy(v));
}

Value op_exists(const Call& c) {
    Value v = c.arg(0);
    return json::value(v.has_value() && !v->is_null());
}

Value op_empty(const Call& c) {
    Value v = c.arg(0);
    return json::value(!v || v->is_null() || (v->is_string() && v->get_string().empty()) ||
                       (v->is_array() && v->get_array().empty()) || (v->is_object() && v->get_object().empty()));
}

Value op_eq(const Call& c) {
    return json::value(equal(c.arg(0), c.arg(1)));
}

Value op_ne(const Call& c) {
    Value a = c.arg(0), b = c.arg(1);
    return json::value(a.has_value() && !equal(a, b));
}

Value compare(const Call& c) {
    auto a = number(c.arg(0)), b = number(c.arg(1));
    if (!a || !b) return json::value(false);
    bool r = c.op == "lt" ? *a < *b : c.op == "le" ? *a <= *b : c.op == "gt" ? *a > *b : *a >= *b;
    return json::value(r);
}

Value op_in(const Call& c) {
    Value x = c.arg(0);
    Value list_value = c.arg(1);
    const json::array* list = as_array(list_value);
    if (!x || !list) return json::value(false);
    for (const auto& e : *list)
        if (equal(x, Value::ref(&e))) return json::value(true);
    return json::value(false);
}

Value op_contains(const Call& c) {
    Value within = c.arg(0), x = c.arg(1);
    if (!within || !x) return json::value(false);
    if (within->is_array()) {
        for (const auto& e : within->get_array())
            if (equal(Value::ref(&e), x)) return json::value(true);
        return json::value(false);
    }
    auto cs = text(within), xs = text(x);
    return json::value(cs && xs && cs->find(*xs) != std::string::npos);
}

Value op_matches(const Call& c) {
    auto s = text(c.arg(0));
    if (!s) return json::value(false);
    const re2::RE2& re = cached_regex(std::string(c.args[1].get_string()));
    return json::value(re.ok() && re2::RE2::PartialMatch(*s, re));
}

Value op_lower(const Call& c) {
    auto s = text(c.arg(0));
    if (!s) return std::nullopt;
    std::transform(s->begin(), s->end(), s->begin(), [](unsigned char ch) { return std::tolower(ch); });
    return json::value(*s);
}

// [text, suffix]: the text without that ending (fix values)
Value op_strip_suffix(const Call& c) {
    auto s = text(c.arg(0)), suffix = text(c.arg(1));
    if (!s || !suffix) return std::nullopt;
    if (!suffix->empty() && s->size() >= suffix->size() && s->ends_with(*suffix)) s->resize(s->size() - suffix->size());
    return json::value(*s);
}

Value op_len(const Call& c) {
    Value v = c.arg(0);
    if (!v) return std::nullopt;
    if (v->is_string()) return json::value(static_cast<int64_t>(v->get_string().size()));
    if (v->is_array()) return json::value(static_cast<int64_t>(v->get_array().size()));
    return std::nullopt;
}

Value sum_or_max(const Call& c) {
    Value list_value = c.arg(0);
    const json::array* list = as_array(list_value);
    if (!list) return std::nullopt;
    double acc = c.op == "sum" ? 0 : -INFINITY;
    for (const auto& e : *list)
        if (auto n = number(Value::ref(&e))) acc = c.op == "sum" ? acc + *n : std::max(acc, *n);
    if (c.op == "max" && acc == -INFINITY) return std::nullopt;
    return json::value(acc);
}

Value op_size(const Call& c) {
    auto s = text(c.arg(0));
    if (!s) return std::nullopt;
    auto n = parse_size(*s);
    return n ? Value(json::value(*n)) : std::nullopt;
}

Value op_major(const Call& c) {
    auto s = text(c.arg(0));
    if (!s || s->empty() || !std::isdigit(static_cast<unsigned char>((*s)[0]))) return std::nullopt;
    return json::value(static_cast<int64_t>(std::strtol(s->c_str(), nullptr, 10)));
}

Value op_before_today(const Call& c) {
    auto s = text(c.arg(0));
    if (!s || s->size() < 10) return json::value(false);
    return json::value(s->substr(0, 10) < c.scope.today);
}

// *arr schema fields: [{"name": n, "value": v}, ...]
Value op_field(const Call& c) {
    Value fields_value = c.arg(0);
    const json::array* fields = as_array(fields_value);
    auto name = text(c.arg(1));
    if (!fields || !name) return std::nullopt;
    for (const auto& f : *fields)
        if (f.is_object() && f.get_object().contains("name") && f.at("name") == json::value(*name)) {
            const auto* v = f.get_object().if_contains("value");
            return v ? fields_value.part(v) : Value();
        }
    return std::nullopt;
}

Value op_inside(const Call& c) {
    auto child = text(c.arg(0)), parent = text(c.arg(1));
    return json::value(child && parent && path_inside(*child, *parent));
}

Value op_top(const Call& c) {
    auto p = text(c.arg(0));
    if (!p) return std::nullopt;
    return json::value(top_dir(*p));
}

Value op_abs(const Call& c) {
    auto p = text(c.arg(0));
    return json::value(p && !p->empty() && (*p)[0] == '/');
}

Value op_sab_cat_path(const Call& c) {
    auto complete = text(c.arg(0)), dir = text(c.arg(1));
    if (!complete) return std::nullopt;
    return json::value(sab_category_path(*complete, dir.value_or("")));
}

// the SAB category object named x, if any
Value op_sab_category(const Call& c) {
    Value cats_value = c.arg(0);
    const json::array* cats = as_array(cats_value);
    auto name = text(c.arg(1));
    if (!cats || !name) return std::nullopt;
    for (const auto& cat : *cats)
        if (cat.is_object() && cat.get_object().contains("name") && cat.at("name") == json::value(*name))
            return cats_value.part(&cat);
    return std::nullopt;
}

Value op_is_ip(const Call& c) {
    auto s = text(c.arg(0));
    boost::system::error_code ec;
    if (s) boost::asio::ip::make_address(*s, ec);
    return json::value(s && !ec);
}

// a dotted name or a public IP: reachable beyond a LAN / Docker network
Value op_is_public_host(const Call& c) {
    auto s = text(c.arg(0));
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
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (h.find('.') == std::string::npos) return json::value(false);  // single-label: Docker/LAN name
    for (const char* local : {".local", ".lan", ".home", ".internal", ".localhost", ".home.arpa"})
        if (h.size() >= std::strlen(local) && h.compare(h.size() - std::strlen(local), std::string::npos, local) == 0)
            return json::value(false);
    return json::value(true);
}

Value op_distinct(const Call& c) {
    Value list_value = c.arg(0);
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

// a remote path mapping: [path, remote prefix, local prefix]
Value op_remap(const Call& c) {
    auto p = text(c.arg(0)), from = text(c.arg(1)), to = text(c.arg(2));
    if (!p) return std::nullopt;
    if (!from || !to || !path_inside(*p, *from)) return json::value(*p);
    std::string rest = normalise_path(*p).substr(normalise_path(*from).size());
    return json::value(normalise_path(normalise_path(*to) + rest));
}

Value op_first(const Call& c) {
    Value list_value = c.arg(0);
    const json::array* list = as_array(list_value);
    if (!list || list->empty()) return std::nullopt;
    return list_value.part(&(*list)[0]);
}

Value op_concat(const Call& c) {
    std::string out;
    for (const auto& a : c.args)
        if (auto s = text(evaluate(a, c.scope))) out += *s;
    return json::value(out);
}

// The operators (docs/rules.md), like SQLite's sqlite3_api_routines: one row
// per name with its arity (checked by validate() when a rule file loads) and
// the function that evaluates it. A new operator is one row and one function.
struct Op {
    int min_args;
    int max_args;  // -1: any
    Value (*eval)(const Call&);
};

const std::map<std::string, Op, std::less<>>& ops() {
    static const std::map<std::string, Op, std::less<>> table = {
        {"eq", {2, 2, op_eq}},
        {"ne", {2, 2, op_ne}},
        {"lt", {2, 2, compare}},
        {"le", {2, 2, compare}},
        {"gt", {2, 2, compare}},
        {"ge", {2, 2, compare}},
        {"and", {1, -1, op_and}},
        {"or", {1, -1, op_or}},
        {"not", {1, 1, op_not}},
        {"on", {1, 1, op_on}},
        {"off", {1, 1, op_off}},
        {"empty", {1, 1, op_empty}},
        {"exists", {1, 1, op_exists}},
        {"in", {2, 2, op_in}},
        {"contains", {2, 2, op_contains}},
        {"matches", {2, 2, op_matches}},
        {"lower", {1, 1, op_lower}},
        {"len", {1, 1, op_len}},
        {"any", {3, 3, bind_loop}},
        {"all", {3, 3, bind_loop}},
        {"count", {3, 3, bind_loop}},
        {"filter", {3, 3, bind_loop}},
        {"map", {3, 3, bind_loop}},
        {"sum", {1, 1, sum_or_max}},
        {"max", {1, 1, sum_or_max}},
        {"size", {1, 1, op_size}},
        {"major", {1, 1, op_major}},
        {"before_today", {1, 1, op_before_today}},
        {"field", {2, 2, op_field}},
        {"inside", {2, 2, op_inside}},
        {"top", {1, 1, op_top}},
        {"abs", {1, 1, op_abs}},
        {"sab_cat_path", {2, 2, op_sab_cat_path}},
        {"coalesce", {1, -1, op_coalesce}},
        {"if", {3, 3, op_if}},
        {"let", {2, 2, op_let}},
        {"is_ip", {1, 1, op_is_ip}},
        {"is_public_host", {1, 1, op_is_public_host}},
        {"distinct", {1, 1, op_distinct}},
        {"concat", {1, -1, op_concat}},
        {"lit", {1, 1, op_lit}},
        {"first", {1, 1, op_first}},
        {"find", {3, 3, bind_loop}},
        {"sab_category", {2, 2, op_sab_category}},
        {"remap", {3, 3, op_remap}},
        {"strip_suffix", {2, 2, op_strip_suffix}},
    };
    return table;
}

}  // namespace

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
        if (const auto compiled = compile_regex(re.get_string()); !compiled->ok())
            throw std::invalid_argument("bad regex \"" + std::string(re.get_string()) + "\": " + compiled->error());
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
    const auto& member = *expr.get_object().begin();
    const auto it = ops().find(member.key());
    if (it == ops().end()) return std::nullopt;  // validate() refuses it when the rule file loads
    static const json::array no_args;
    const json::value& raw = member.value();
    return it->second.eval(Call{member.key(), raw, raw.is_array() ? raw.get_array() : no_args, scope});
}

}  // namespace autoarr::audit
