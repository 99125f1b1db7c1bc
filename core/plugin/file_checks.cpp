#include "plugin/file_checks.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

namespace autoarr::plugin {
namespace {

// RAII for a POSIX file descriptor.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

std::string machine_name(unsigned machine) {
    switch (machine) {
        case EM_X86_64:
            return "x86_64";
        case EM_386:
            return "i386";
        case EM_AARCH64:
            return "aarch64";
        case EM_ARM:
            return "arm";
        case EM_RISCV:
            return "riscv";
        case EM_PPC64:
            return "ppc64";
        case EM_S390:
            return "s390";
        default:
            return "ELF machine " + std::to_string(machine);
    }
}

unsigned host_machine() {
#if defined(__x86_64__)
    return EM_X86_64;
#elif defined(__aarch64__)
    return EM_AARCH64;
#elif defined(__i386__)
    return EM_386;
#elif defined(__arm__)
    return EM_ARM;
#elif defined(__riscv)
    return EM_RISCV;
#elif defined(__powerpc64__)
    return EM_PPC64;
#else
#error "unknown host architecture: add it to host_machine()"
#endif
}

enum class Sticky { refuse, accept };  // may a sticky directory be writable by others?

// "" when path (a file or directory) is not writable by group or others and is
// owned by the effective user or by root -- the check an SSH daemon makes on
// its keys. Otherwise the reason.
std::string check_trusted(const std::filesystem::path& path, Sticky sticky) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "cannot stat " + path.string() + ": " + std::strerror(errno);
    const bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(sticky == Sticky::accept && sticky_dir)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return path.string() + " is writable by " +
               ((st.st_mode & S_IWOTH) ? std::string("others") : std::string("its group")) + " (mode " + mode + ")";
    }
    uid_t me = ::geteuid();
    if (st.st_uid != me && st.st_uid != 0)
        return path.string() + " is owned by uid " + std::to_string(st.st_uid) + ", not by uid " + std::to_string(me) +
               " or root";
    return {};
}

}  // namespace

std::string host_architecture() {
    return machine_name(host_machine());
}

std::string check_plugin_files_trusted(const std::filesystem::path& manifest, const std::filesystem::path& library) {
    namespace fs = std::filesystem;
    std::set<std::pair<fs::path, Sticky>> checked;  // each path once per strictness
    // The file and its own directory are checked strictly; directories above may be sticky.
    auto check_chain = [&](const fs::path& file, const std::string& what) -> std::string {
        const fs::path own_dir = file.parent_path();
        for (fs::path p = file;; p = p.parent_path()) {
            const Sticky sticky = p == file || p == own_dir ? Sticky::refuse : Sticky::accept;
            if (checked.insert({p, sticky}).second)
                if (auto why = check_trusted(p, sticky); !why.empty()) return what + ": " + why;
            if (p == p.root_path() || p.parent_path() == p) return {};
        }
    };
    for (const auto& [file, role] : {std::pair{manifest, "manifest"}, std::pair{library, "library"}}) {
        const fs::path named = fs::absolute(file).lexically_normal();
        std::error_code ec;
        const fs::path resolved = fs::canonical(named, ec);
        if (ec) return std::string(role) + " " + named.string() + " cannot be resolved: " + ec.message();
        if (auto why = check_chain(named, std::string(role) + " " + named.string()); !why.empty()) return why;
        if (resolved != named)
            if (auto why = check_chain(resolved,
                                       std::string(role) + " " + named.string() + " resolves to " + resolved.string());
                !why.empty())
                return why;
    }
    return {};
}

std::string check_elf_matches_host(const std::filesystem::path& library) {
    Fd fd(::open(library.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return "cannot open " + library.string() + ": " + std::strerror(errno);
    unsigned char ident[EI_NIDENT + 4] = {};
    ssize_t n = ::pread(fd.get(), ident, sizeof ident, 0);
    if (n < static_cast<ssize_t>(sizeof ident) || std::memcmp(ident, ELFMAG, SELFMAG) != 0)
        return "not an ELF shared object (no ELF header)";
    const unsigned char want_class = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
    if (ident[EI_CLASS] != want_class)
        return std::string("ELF class ") + (ident[EI_CLASS] == ELFCLASS64 ? "64-bit" : "32-bit") +
               " does not match this " + (want_class == ELFCLASS64 ? "64-bit" : "32-bit") + " host";
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const unsigned char want_data = ELFDATA2LSB;
#else
    const unsigned char want_data = ELFDATA2MSB;
#endif
    if (ident[EI_DATA] != want_data) return "ELF byte order does not match this host";
    // e_type and e_machine follow e_ident; read them in the file's byte order (== ours).
    uint16_t type = 0, machine = 0;
    std::memcpy(&type, ident + EI_NIDENT, 2);
    std::memcpy(&machine, ident + EI_NIDENT + 2, 2);
    if (type != ET_DYN) return "ELF file is not a shared object (e_type " + std::to_string(type) + ")";
    if (machine != host_machine())
        return "library is built for " + machine_name(machine) + ", this host is " + host_architecture();
    return {};
}

}  // namespace autoarr::plugin
