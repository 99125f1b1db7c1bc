// Removes secrets from configuration documents before anything is stored,
// logged, saved or sent to a model: API keys, passwords, password hashes and
// server credentials. Two passes: by name, whatever the value's type (a
// number, an array, an object); then every copy of a secret's value in any
// other field, and of the process's known secrets (util::process_secrets:
// the applications' API keys, the provider keys), wherever it occurs. Empty
// values stay empty, so "no password set" remains visible to rules and readers.
#pragma once

#include <boost/json.hpp>

#include "util/secret_scrubber.h"

namespace autoarr::audit {

inline constexpr const char* kRedacted = "**redacted**";

// Redacts in place; returns how many values were replaced.
int redact(boost::json::value& documents);

// The same, remembering the secrets it found, so that values derived from the
// documents (a finding's current value) lose their copies too.
class Redactor {
public:
    Redactor();
    int redact(boost::json::value& v);

private:
    util::SecretScrubber known_;
};

}  // namespace autoarr::audit
