#pragma once
// Certificates made at run time: a CA, a good server certificate for
// mail.example.test / 127.0.0.1 / ::1, an expired one, one from another CA, and one
// from the CA for another host.
#include <string>

#include "health/tls_context.h"

namespace lvs::health::testing {

struct TestPki {
  std::string dir;
  std::string ca_file;         // the CA that signed good and expired
  std::string good_cert, good_key;
  std::string expired_cert, expired_key;
  std::string stranger_cert, stranger_key;  // signed by a CA nobody trusts
  std::string other_cert, other_key;        // the trusted CA's, for other.example.test only (no IP SAN)
};

// Made once per test run, in a temporary folder removed at exit.
const TestPki& test_pki();

enum class ServerTls { any, tls1_2_only };
// A server-side context for a certificate and key from test_pki().
SslCtxPtr server_context(const std::string& cert, const std::string& key, ServerTls = ServerTls::any);

}  // namespace lvs::health::testing
