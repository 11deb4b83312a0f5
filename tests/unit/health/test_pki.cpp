#include "test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace lvs::health::testing {

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;

void need(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

KeyPtr new_key() {
  KeyPtr k(EVP_EC_gen("P-256"));
  need(k != nullptr, "EC key generation");
  return k;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  need(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate valid from now+from_days to now+to_days, signed by issuer (or itself).
constexpr const char* kMailNames = "DNS:mail.example.test,IP:127.0.0.1,IP:::1";

CertPtr make_cert(EVP_PKEY* key, const char* cn, long serial, long from_days, long to_days, X509* issuer,
                  EVP_PKEY* issuer_key, bool ca, const char* alt_names = kMailNames) {
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), to_days * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (ca) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  } else {
    add_ext(cert.get(), signer, NID_basic_constraints, "CA:FALSE");
    add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    add_ext(cert.get(), signer, NID_subject_alt_name, alt_names);
  }
  need(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "signing");
  return cert;
}

void write_cert(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  need(f != nullptr, "open cert file");
  PEM_write_X509(f, cert);
  std::fclose(f);
}

void write_key(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  need(f != nullptr, "open key file");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

struct Owned {
  TestPki pki;
  ~Owned() {
    std::error_code ec;
    if (!pki.dir.empty()) std::filesystem::remove_all(pki.dir, ec);
  }
};

TestPki generate(const std::string& dir) {
  TestPki p;
  p.dir = dir;
  KeyPtr ca_key = new_key();
  CertPtr ca = make_cert(ca_key.get(), "lvs test CA", 1, -2, 30, nullptr, nullptr, true);
  p.ca_file = dir + "/ca.pem";
  write_cert(p.ca_file, ca.get());

  KeyPtr good_key = new_key();
  CertPtr good = make_cert(good_key.get(), "mail.example.test", 2, -1, 30, ca.get(), ca_key.get(), false);
  p.good_cert = dir + "/good.pem";
  p.good_key = dir + "/good.key";
  write_cert(p.good_cert, good.get());
  write_key(p.good_key, good_key.get());

  KeyPtr old_key = new_key();
  CertPtr expired = make_cert(old_key.get(), "mail.example.test", 3, -2, -1, ca.get(), ca_key.get(), false);
  p.expired_cert = dir + "/expired.pem";
  p.expired_key = dir + "/expired.key";
  write_cert(p.expired_cert, expired.get());
  write_key(p.expired_key, old_key.get());

  KeyPtr other_ca_key = new_key();
  CertPtr other_ca = make_cert(other_ca_key.get(), "untrusted CA", 4, -2, 30, nullptr, nullptr, true);
  KeyPtr stranger_key = new_key();
  CertPtr stranger =
      make_cert(stranger_key.get(), "mail.example.test", 5, -1, 30, other_ca.get(), other_ca_key.get(), false);
  p.stranger_cert = dir + "/stranger.pem";
  p.stranger_key = dir + "/stranger.key";
  write_cert(p.stranger_cert, stranger.get());
  write_key(p.stranger_key, stranger_key.get());

  KeyPtr other_key = new_key();
  CertPtr other = make_cert(other_key.get(), "other.example.test", 6, -1, 30, ca.get(), ca_key.get(), false,
                            "DNS:other.example.test");
  p.other_cert = dir + "/other.pem";
  p.other_key = dir + "/other.key";
  write_cert(p.other_cert, other.get());
  write_key(p.other_key, other_key.get());
  return p;
}

}  // namespace

const TestPki& test_pki() {
  static Owned owned = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/lvs-health-pki-XXXXXX";
    need(::mkdtemp(templ.data()) != nullptr, "mkdtemp");
    return Owned{generate(templ)};
  }();
  return owned.pki;
}

SslCtxPtr server_context(const std::string& cert, const std::string& key, ServerTls version) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  need(ctx != nullptr, "server context");
  need(SSL_CTX_use_certificate_file(ctx.get(), cert.c_str(), SSL_FILETYPE_PEM) == 1, "server certificate");
  need(SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) == 1, "server key");
  if (version == ServerTls::tls1_2_only) SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
  return ctx;
}

}  // namespace lvs::health::testing
