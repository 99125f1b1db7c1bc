// The evidence a finding carries to a model: only the settings its rule
// reads (and, for a cross-application rule, the linked settings of each
// application), taken from the redacted documents and projected to the
// fields the rule touches. Never every document: a batch must fit a 4k-token
// window (docs/audit.md, "What is sent to a model").
#pragma once

#include <boost/json.hpp>
#include <cstddef>
#include <string>

#include "audit/rule_set.h"

namespace autoarr::audit {

// {"sabnzbd": {"misc": {"inet_exposure": 4, "username": ""}}, ...}, at most
// about max_bytes when serialized (long lists are shortened, long strings cut).
boost::json::object rule_evidence(const Rule& rule, const boost::json::object& redacted_documents,
                                  std::size_t max_bytes = 900);

// `v` with lists shortened to `items` elements and strings to `chars` bytes
// (never inside a UTF-8 character), for a prompt.
boost::json::value shorten_for_prompt(const boost::json::value& v, std::size_t items, std::size_t chars);
// The longest prefix of `text` of at most `bytes` bytes that ends on a character boundary.
std::string utf8_prefix(std::string_view text, std::size_t bytes);

// A stable fingerprint of what a finding says about the stack: the rule, its
// current value and its evidence. Equal fingerprints mean the model would be
// asked the same question (the explanation cache's key, with the provider,
// the model and the prompt version).
std::string evidence_fingerprint(const std::string& rule_id, const boost::json::value& current,
                                 const boost::json::object& evidence);

}  // namespace autoarr::audit
