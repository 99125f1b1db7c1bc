// Ed25519 detached signatures over a plugin's manifest and library
// (docs/abi-policy.md LOAD-9, LOAD-10; docs/plugin-guide.md "Signing").
//
// The signature file, plugin.sig beside manifest.json, is JSON:
//   {"format":"autoarr.plugin_signature/1","key":"<key id>","signature":"<base64>"}
// The signed message names both files and their SHA-256 digests
// (signed_message below), so neither can be swapped for another.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autoarr::plugin {

inline constexpr std::string_view kSignatureFileName = "plugin.sig";
inline constexpr std::string_view kSignatureFormat = "autoarr.plugin_signature/1";

// One public key the host trusts. id: the first 16 hex digits of the SHA-256
// of the raw 32-byte key; raw: those 32 bytes.
struct TrustedKey {
    std::string id;
    std::string raw;
    std::filesystem::path file;
};

// Every *.pem in each directory (an Ed25519 public key, "openssl pkey -pubout").
// A directory that does not exist adds nothing; an unreadable or non-Ed25519
// file is reported in problems and skipped.
std::vector<TrustedKey> read_trusted_keys(const std::vector<std::filesystem::path>& dirs,
                                          std::vector<std::string>* problems = nullptr);

// The message that is signed: the format, then "<file name> <sha256 hex>" for
// the manifest and for the library, one per line.
std::string signed_message(std::string_view manifest_bytes, std::string_view library_name,
                           std::string_view library_bytes);

// Signs with the Ed25519 private key in key_pem_file and writes plugin.sig
// into plugin_dir (which holds manifest.json and the library it names).
// "" on success, else why not.
std::string sign_plugin_dir(const std::filesystem::path& plugin_dir, const std::filesystem::path& key_pem_file);

// The verdict on one plugin's signature.
struct SignatureCheck {
    bool ok = false;
    std::string rule;    // "LOAD-9" (no or unreadable signature) or "LOAD-10" (does not verify)
    std::string cause;   // names the file and what is wrong
    std::string key_id;  // the key that verified it, when ok
};

// Checks plugin_dir's plugin.sig against the given manifest and library bytes
// (the very bytes that are parsed and loaded) and the trusted keys.
SignatureCheck check_signature(const std::filesystem::path& plugin_dir, std::string_view manifest_bytes,
                               std::string_view library_name, std::string_view library_bytes,
                               const std::vector<TrustedKey>& keys);

// check_signature on the files in plugin_dir as they are now (autoarr plugins verify).
SignatureCheck verify_plugin_dir(const std::filesystem::path& plugin_dir, const std::vector<TrustedKey>& keys);

// Reads a whole file through an open descriptor (from its start), up to max bytes.
std::optional<std::string> read_fd_fully(int fd, std::size_t max, std::string* error);

}  // namespace autoarr::plugin
