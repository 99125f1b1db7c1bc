// Removes secrets from configuration documents before anything is stored,
// logged, saved or sent to a model: API keys, passwords, password hashes and
// server credentials. Empty values stay empty, so "no password set" remains
// visible to rules and readers.
#pragma once

#include <boost/json.hpp>

namespace autoarr::audit {

inline constexpr const char* kRedacted = "**redacted**";

// Redacts in place; returns how many values were replaced.
int redact(boost::json::value& documents);

}  // namespace autoarr::audit
