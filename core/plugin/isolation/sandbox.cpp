#include "plugin/isolation/sandbox.h"

#include <dirent.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <vector>

namespace autoarr::plugin::isolation {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t kAuditArch = 0;  // no filter: the architecture check could not be written
#endif

// Calls a provider never needs, and that would let a hostile one reach
// beyond its process: debugging others, the kernel's module and mount
// tables, namespaces, eBPF, exec'ing other programs, the clock.
const std::vector<long>& denied_calls() {
    static const std::vector<long> calls = {
        SYS_ptrace,
        SYS_process_vm_readv,
        SYS_process_vm_writev,
        SYS_mount,
        SYS_umount2,
        SYS_pivot_root,
        SYS_chroot,
        SYS_swapon,
        SYS_swapoff,
        SYS_reboot,
        SYS_kexec_load,
        SYS_init_module,
        SYS_finit_module,
        SYS_delete_module,
        SYS_bpf,
        SYS_perf_event_open,
        SYS_userfaultfd,
        SYS_unshare,
        SYS_setns,
        SYS_keyctl,
        SYS_add_key,
        SYS_request_key,
        SYS_open_by_handle_at,
        SYS_name_to_handle_at,
        SYS_quotactl,
        SYS_acct,
        SYS_settimeofday,
        SYS_clock_settime,
        SYS_adjtimex,
        SYS_clock_adjtime,
        SYS_execve,
        SYS_execveat,
        SYS_fanotify_init,
        SYS_move_mount,
        SYS_fsopen,
        SYS_fsmount,
        SYS_open_tree,
#ifdef SYS_kexec_file_load
        SYS_kexec_file_load,
#endif
#ifdef SYS_iopl
        SYS_iopl,
#endif
#ifdef SYS_ioperm
        SYS_ioperm,
#endif
    };
    return calls;
}

std::string install_filter() {
    if (kAuditArch == 0) return "off (no filter for this architecture)";
    std::vector<sock_filter> f;
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
#if defined(__x86_64__)
    // x32 calls carry the same architecture with bit 30 set: refuse them all.
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)));
#endif
    for (long nr : denied_calls()) {
        f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
        f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)));
    }
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    sock_fprog prog{static_cast<unsigned short>(f.size()), f.data()};
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
        return std::string("off (the kernel refused the filter: ") + std::strerror(errno) + ")";
    return "on (" + std::to_string(denied_calls().size()) + " calls denied with EPERM)";
}

std::string limit_text(int resource, const char* name, unsigned long long unit, const char* unit_name) {
    rlimit r{};
    if (::getrlimit(resource, &r) != 0) return std::string(name) + " unknown";
    if (r.rlim_cur == RLIM_INFINITY) return std::string(name) + " unlimited";
    return std::string(name) + " " + std::to_string(r.rlim_cur / unit) + unit_name;
}

int open_descriptors() {
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
        return n - 1;  // the directory stream's own descriptor
    }
    return -1;
}

}  // namespace

std::string apply_runner_sandbox(bool seccomp) {
    std::string out;
    const bool nnp = ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
    out += nnp ? "no_new_privs on" : std::string("no_new_privs off (") + std::strerror(errno) + ")";
    if (!seccomp)
        out += "; seccomp off (disabled in the configuration)";
    else if (!nnp)
        out += "; seccomp off (needs no_new_privs)";
    else
        out += "; seccomp " + install_filter();
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    out += "; memory: the sanitizer's hard_rss_limit_mb (RLIMIT_AS cannot work beside its shadow memory)";
#else
    out += "; " + limit_text(RLIMIT_AS, "RLIMIT_AS", 1024ull * 1024, " MiB");
#endif
    out += "; " + limit_text(RLIMIT_NOFILE, "RLIMIT_NOFILE", 1, "");
    out += "; " + std::to_string(open_descriptors()) +
           " descriptors open at start (stdin, stdout, stderr, channel, library)";
    return out;
}

}  // namespace autoarr::plugin::isolation
