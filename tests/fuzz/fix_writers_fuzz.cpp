// The fix writers' inputs: a stack's documents as the apps answer them,
// planned into changes (core/fix/plan.cpp), each change set into a copy of
// its resource and read back the way the writers do (read_field/set_field,
// same_value), the call text, and an app's error body as the *arr writer
// reads it (validation_failures).
// Input: {"sabnzbd": {...}, "sonarr": {...}, "radarr": {...}} (the stack
// seeds); any other bytes go to validation_failures as an answer body.
#include <boost/json.hpp>

#include "audit/fix_spec.h"
#include "fix/app_writer.h"
#include "fix/arr_writer.h"
#include "fix/plan.h"
#include "sample_stack.h"

using namespace autoarr;
namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto& sample = fuzz::sample_stack();
    const std::string_view text = fuzz::as_text(data, size);
    const std::string said = fix::validation_failures(std::string(text));
    FUZZ_CHECK(said.size() <= 4096, "an app's error text is bounded");

    json::error_code ec;
    json::value input = json::parse(text, ec);
    if (ec || !input.is_object()) return 0;
    const json::object& docs = input.get_object();
    const auto findings = audit::evaluate_rules(sample.rules, docs, "2026-12-01");
    fix::Plan plan;
    try {
        plan = fix::plan_fixes(sample.rules, findings, docs, {}, "2026-12-01");
    } catch (const std::invalid_argument&) {
        FUZZ_CHECK(false, "planning every finding never refuses");
    }
    for (const auto& c : plan.changes) {
        FUZZ_CHECK(!audit::is_secret_field(c.field), "no secret field is ever planned");
        FUZZ_CHECK(!fix::same_value(c.before, c.after), "a change changes something");
        FUZZ_CHECK(!fix::describe_call(c, c.after).empty(), "every change has its call");
        // A resource-shaped holder: the field set, then read back, is the value written.
        json::value holder =
            json::object{{"fields", json::array{json::object{{"name", c.field.substr(c.field.rfind('.') + 1)}}}}};
        holder.as_object()[c.field] = c.before;
        if (fix::set_field(holder, c.field, c.after)) {
            auto back = fix::read_field(holder, c.field);
            FUZZ_CHECK(back && fix::same_value(*back, c.after), "a field reads back as written");
        }
    }
    return 0;
}
