// Throw-away certificates made at test time with the openssl command: a test
// CA, a server certificate it signs for 127.0.0.1/localhost, one for the
// wrong host name, and one signed by a CA nobody trusts.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "support/temp_dir.h"

namespace autoarr::test {

class TestCerts {
public:
    TestCerts() {
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem "
            "-days 2 -subj '/CN=AutoArr Test CA' -addext 'basicConstraints=critical,CA:TRUE' "
            "-addext 'keyUsage=critical,keyCertSign,cRLSign'");
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other-ca.key "
            "-out other-ca.pem -days 2 -subj '/CN=Untrusted CA' -addext 'basicConstraints=critical,CA:TRUE' "
            "-addext 'keyUsage=critical,keyCertSign,cRLSign'");
        issue("server", "ca", "IP:127.0.0.1,DNS:localhost");
        issue("wrong-host", "ca", "DNS:wrong.example");
        issue("untrusted", "other-ca", "IP:127.0.0.1,DNS:localhost");
    }
    std::string path(const std::string& name) const { return (dir_.path() / name).string(); }
    std::string ca() const { return path("ca.pem"); }

private:
    void run(const std::string& cmd) {
        std::string full = "cd '" + dir_.path().string() + "' && " + cmd + " >/dev/null 2>&1";
        if (std::system(full.c_str()) != 0) throw std::runtime_error("certificate setup failed: " + cmd);
    }
    void issue(const std::string& name, const std::string& ca, const std::string& san) {
        write_file(dir_.path() / (name + ".ext"),
                   "subjectAltName=" + san + "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
        run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + name + ".key -out " +
            name + ".csr -subj '/CN=" + name + "'");
        run("openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca + ".key -CAcreateserial -out " +
            name + ".pem -days 2 -extfile " + name + ".ext");
    }
    TempDir dir_;
};

}  // namespace autoarr::test
