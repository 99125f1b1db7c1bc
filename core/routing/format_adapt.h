// An audit's request asks for its answer schema as a hint, not a demand: a
// provider without AUTOARR_CAP_JSON_SCHEMA gets plain JSON mode, and one
// without JSON mode gets no "format" at all. The schema is always in the
// prompt too (docs/audit.md), so nothing is lost, and a provider that
// follows docs/payloads.md by refusing a field it cannot honour is still
// used for audits.
#pragma once

#include <cstdint>
#include <string>

namespace autoarr::routing {

// The request for a provider with these capability flags: the same text when
// nothing needs changing (no copy is made then: `out` stays empty and false
// is returned), else the adapted request in `out` and true.
bool adapt_format_to_capabilities(const std::string& request_json, uint64_t capability_flags, std::string& out);

// The AUTOARR_CAP_* flags a provider needs to honour this request as it is
// (docs/payloads.md): "tools" or "tool_choice" need AUTOARR_CAP_TOOLS; a
// "format" that is not a hint needs JSON mode ("json") or JSON Schema (an
// object). The router never sends such a field to an instance without the
// flag: it skips that provider and says why.
uint64_t required_capabilities(const std::string& request_json, bool format_is_hint);
// "tools (AUTOARR_CAP_TOOLS)", ... for the flags in `missing`.
std::string describe_capabilities(uint64_t missing);

}  // namespace autoarr::routing
