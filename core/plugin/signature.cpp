#include "plugin/signature.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

namespace autoarr::plugin {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxSignatureFileBytes = 4096;
constexpr std::size_t kMaxKeyFileBytes = 16 * 1024;
constexpr std::size_t kMaxLibraryBytes = std::size_t{1} << 30;  // what read_plugin_file accepts
constexpr std::size_t kEd25519KeyBytes = 32;
constexpr std::size_t kEd25519SignatureBytes = 64;

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

// A file descriptor closed on every path out.
struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

std::optional<std::string> read_small_file(const fs::path& path, std::size_t max, std::string* error) {
    Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (f.fd < 0) {
        if (error) *error = "cannot open " + path.string() + ": " + std::strerror(errno);
        return std::nullopt;
    }
    return read_fd_fully(f.fd, max, error);
}

std::string hex(const unsigned char* p, std::size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[p[i] >> 4];
        out += digits[p[i] & 0xF];
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
    return hex(md, len);
}

std::string key_id_of(std::string_view raw) {
    return sha256_hex(raw).substr(0, 16);
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
}

std::optional<std::string> unbase64(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0 || text.size() > 1024) return std::nullopt;
    std::string out(text.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) return std::nullopt;
    std::size_t pad = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

std::optional<std::string> raw_public_key(EVP_PKEY* key) {
    std::string raw(kEd25519KeyBytes, '\0');
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &len) != 1 ||
        len != kEd25519KeyBytes)
        return std::nullopt;
    return raw;
}

// manifest.json and the library it names, read from plugin_dir.
struct PluginFiles {
    std::string manifest;
    std::string library_name;
    std::string library;
};

std::optional<PluginFiles> read_plugin_files(const fs::path& dir, std::string* error) {
    PluginFiles f;
    auto manifest = read_small_file(dir / "manifest.json", 64 * 1024, error);
    if (!manifest) return std::nullopt;
    f.manifest = std::move(*manifest);
    json::error_code ec;
    json::value v = json::parse(f.manifest, ec);
    const json::value* lib = (!ec && v.is_object()) ? v.get_object().if_contains("library") : nullptr;
    if (!lib || !lib->is_string() || lib->get_string().empty()) {
        *error = (dir / "manifest.json").string() + " names no \"library\"";
        return std::nullopt;
    }
    f.library_name = std::string(lib->get_string());
    if (fs::path(f.library_name).has_parent_path()) {
        *error = "library \"" + f.library_name + "\" must be a plain file name beside the manifest";
        return std::nullopt;
    }
    auto library = read_small_file(dir / f.library_name, kMaxLibraryBytes, error);
    if (!library) return std::nullopt;
    f.library = std::move(*library);
    return f;
}

}  // namespace

std::optional<std::string> read_fd_fully(int fd, std::size_t max, std::string* error) {
    std::string out;
    char buf[65536];
    off_t offset = 0;
    while (true) {
        ssize_t n = ::pread(fd, buf, sizeof buf, offset);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (error) *error = std::string("read failed: ") + std::strerror(errno);
            return std::nullopt;
        }
        if (n == 0) break;
        if (out.size() + static_cast<std::size_t>(n) > max) {
            if (error) *error = "file is larger than " + std::to_string(max) + " bytes";
            return std::nullopt;
        }
        out.append(buf, static_cast<std::size_t>(n));
        offset += n;
    }
    return out;
}

std::vector<TrustedKey> read_trusted_keys(const std::vector<fs::path>& dirs, std::vector<std::string>* problems) {
    std::vector<TrustedKey> keys;
    for (const fs::path& dir : dirs) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        std::vector<fs::path> files;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
            if (it->path().extension() == ".pem") files.push_back(it->path());
        std::sort(files.begin(), files.end());
        for (const fs::path& file : files) {
            std::string error;
            auto pem = read_small_file(file, kMaxKeyFileBytes, &error);
            if (!pem) {
                if (problems) problems->push_back(error);
                continue;
            }
            Bio bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
            Pkey key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
            if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
                if (problems) problems->push_back(file.string() + " is not an Ed25519 public key in PEM");
                continue;
            }
            auto raw = raw_public_key(key.get());
            if (!raw) {
                if (problems) problems->push_back(file.string() + ": cannot read the raw public key");
                continue;
            }
            keys.push_back(TrustedKey{key_id_of(*raw), *raw, file});
        }
    }
    return keys;
}

std::string signed_message(std::string_view manifest_bytes, std::string_view library_name,
                           std::string_view library_bytes) {
    return std::string(kSignatureFormat) + "\nmanifest.json " + sha256_hex(manifest_bytes) + "\n" +
           std::string(library_name) + " " + sha256_hex(library_bytes) + "\n";
}

std::string sign_plugin_dir(const fs::path& dir, const fs::path& key_file) {
    std::string error;
    auto pem = read_small_file(key_file, kMaxKeyFileBytes, &error);
    if (!pem) return error;
    Bio bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
        return key_file.string() + " is not an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519)";
    auto raw = raw_public_key(key.get());
    if (!raw) return key_file.string() + ": cannot derive the public key";

    auto files = read_plugin_files(dir, &error);
    if (!files) return error;
    const std::string message = signed_message(files->manifest, files->library_name, files->library);
    MdCtx ctx(EVP_MD_CTX_new());
    std::string sig(kEd25519SignatureBytes, '\0');
    std::size_t sig_len = sig.size();
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
        sig_len != kEd25519SignatureBytes)
        return "signing failed (OpenSSL)";

    json::object doc{{"format", kSignatureFormat}, {"key", key_id_of(*raw)}, {"signature", base64(sig)}};
    const fs::path out = dir / kSignatureFileName;
    const fs::path tmp = dir / (std::string(kSignatureFileName) + ".tmp");
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << json::serialize(doc) << "\n";
        if (!f) return "cannot write " + tmp.string();
    }
    std::error_code ec;
    fs::rename(tmp, out, ec);
    if (ec) return "cannot write " + out.string() + ": " + ec.message();
    return {};
}

SignatureCheck check_signature(const fs::path& dir, std::string_view manifest_bytes, std::string_view library_name,
                               std::string_view library_bytes, const std::vector<TrustedKey>& keys) {
    SignatureCheck c;
    const fs::path sig_path = dir / kSignatureFileName;
    std::error_code ec;
    if (!fs::exists(sig_path, ec)) {
        c.rule = "LOAD-9";
        c.cause = "no signature " + sig_path.string() + " where this directory requires one";
        return c;
    }
    std::string error;
    auto text = read_small_file(sig_path, kMaxSignatureFileBytes, &error);
    if (!text) {
        c.rule = "LOAD-9";
        c.cause = error;
        return c;
    }
    json::error_code jec;
    json::value v = json::parse(*text, jec);
    const json::object* o = (!jec && v.is_object()) ? &v.get_object() : nullptr;
    const json::value* format = o ? o->if_contains("format") : nullptr;
    const json::value* key = o ? o->if_contains("key") : nullptr;
    const json::value* sig = o ? o->if_contains("signature") : nullptr;
    if (!format || !format->is_string() || format->get_string() != kSignatureFormat || !key || !key->is_string() ||
        !sig || !sig->is_string()) {
        c.rule = "LOAD-9";
        c.cause = sig_path.string() + " is not an " + std::string(kSignatureFormat) +
                  " document with \"key\" and \"signature\" strings";
        return c;
    }
    auto raw_sig = unbase64(sig->get_string());
    if (!raw_sig || raw_sig->size() != kEd25519SignatureBytes) {
        c.rule = "LOAD-9";
        c.cause = sig_path.string() + ": \"signature\" is not a base64 Ed25519 signature (64 bytes)";
        return c;
    }
    const std::string key_id(key->get_string());
    auto trusted = std::find_if(keys.begin(), keys.end(), [&](const TrustedKey& k) { return k.id == key_id; });
    c.rule = "LOAD-10";
    if (trusted == keys.end()) {
        c.cause = sig_path.string() + " is signed by key " + key_id + ", which is not a trusted key (" +
                  std::to_string(keys.size()) + " trusted)";
        return c;
    }
    Pkey pub(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(trusted->raw.data()), trusted->raw.size()));
    const std::string message = signed_message(manifest_bytes, library_name, library_bytes);
    MdCtx ctx(EVP_MD_CTX_new());
    if (!pub || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pub.get()) != 1 ||
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(raw_sig->data()), raw_sig->size(),
                         reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
        c.cause = sig_path.string() + " does not match manifest.json and " + std::string(library_name) + " (key " +
                  key_id + " from " + trusted->file.string() + "): the files changed after signing";
        return c;
    }
    c.ok = true;
    c.rule.clear();
    c.key_id = key_id;
    return c;
}

SignatureCheck verify_plugin_dir(const fs::path& dir, const std::vector<TrustedKey>& keys) {
    std::string error;
    auto files = read_plugin_files(dir, &error);
    if (!files) return SignatureCheck{false, "LOAD-10", error, {}};
    return check_signature(dir, files->manifest, files->library_name, files->library, keys);
}

}  // namespace autoarr::plugin
