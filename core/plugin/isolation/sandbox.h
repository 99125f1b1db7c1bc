// The limits the plugin runner applies to itself before any plugin code runs
// (docs/operations.md "Plugin isolation", ISO-5). Resource limits and the
// descriptor cleanup are applied by the host between fork and exec.
#pragma once

#include <string>

namespace autoarr::plugin::isolation {

// Sets no_new_privs and, when wanted, installs the seccomp filter (a deny
// list: ptrace, mount, module loading, exec, namespaces, bpf...). Each step
// that the kernel refuses is skipped. Returns one line saying what applies
// and why anything does not, e.g.
// "no_new_privs on; seccomp on (41 calls denied); RLIMIT_AS 1024 MiB; RLIMIT_NOFILE 256; 1 descriptor".
std::string apply_runner_sandbox(bool seccomp);

}  // namespace autoarr::plugin::isolation
