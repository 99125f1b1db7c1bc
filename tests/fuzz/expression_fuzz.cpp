// The rule expression language (core/audit/expression.cpp): any JSON is
// either refused by validate() with std::invalid_argument, or evaluates on
// the sample stack's documents without throwing (the language is total).
// Input: an expression as JSON; other bytes go to parse_size().
#include <boost/json.hpp>
#include <stdexcept>

#include "audit/expression.h"
#include "sample_stack.h"

using namespace autoarr;
namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto text = fuzz::as_text(data, size);
    const auto& sample = fuzz::sample_stack();
    (void)audit::parse_size(text);
    json::error_code ec;
    const json::value expr = json::parse(text, ec);
    if (ec) return 0;
    try {
        audit::validate(expr);
    } catch (const std::invalid_argument&) {
        return 0;  // refused at load, with the reason
    }
    for (const char* app : {"sonarr", "radarr"}) {
        audit::Scope scope;
        scope.documents = &sample.stack.documents;
        scope.app = app;
        scope.today = "2026-12-01";
        const audit::Value v = audit::evaluate(expr, scope);
        (void)audit::truthy(v);
        if (v) (void)json::serialize(*v);
    }
    return 0;
}
