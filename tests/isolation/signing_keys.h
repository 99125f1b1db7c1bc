// Real Ed25519 key pairs for the signature tests, made with OpenSSL and
// written as the PEM files an operator would make with `openssl genpkey`.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace autoarr::test {

// Writes <dir>/<name>.key (private) and <keys_dir>/<name>.pem (public).
inline void make_signing_key(const std::filesystem::path& dir, const std::filesystem::path& keys_dir,
                             const std::string& name) {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!key) throw std::runtime_error("Ed25519 key generation failed");
    std::filesystem::create_directories(dir);
    std::filesystem::create_directories(keys_dir);
    FILE* priv = std::fopen((dir / (name + ".key")).c_str(), "w");
    FILE* pub = std::fopen((keys_dir / (name + ".pem")).c_str(), "w");
    bool ok = priv && pub && PEM_write_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
              PEM_write_PUBKEY(pub, key) == 1;
    if (priv) std::fclose(priv);
    if (pub) std::fclose(pub);
    EVP_PKEY_free(key);
    if (!ok) throw std::runtime_error("cannot write the key files of " + name);
}

}  // namespace autoarr::test
