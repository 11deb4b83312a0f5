#pragma once
// A one-connection server on loopback that replays a script in its own thread: send a
// line, expect a line, start TLS, pause, close, reset, or hold the connection open.
// Every blocking call is bounded in time, and the destructor always joins the thread.
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lvs::health::testing {

class ScriptedServer {
 public:
  explicit ScriptedServer(const std::string& address = "127.0.0.1");
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;
  ~ScriptedServer();

  // Building the script (before start()).
  ScriptedServer& send(std::string line);      // adds CRLF
  ScriptedServer& send_raw(std::string bytes);  // as is
  ScriptedServer& expect(std::string prefix);   // the next line must start with it
  ScriptedServer& start_tls(SSL_CTX* ctx);      // server side of the handshake
  ScriptedServer& pause(std::chrono::milliseconds);
  ScriptedServer& close();                      // FIN
  ScriptedServer& reset();                      // RST (SO_LINGER 0)
  ScriptedServer& hold();                       // wait until the client closes

  // Listens already; start() runs the script on the first connection.
  void start();
  std::uint16_t port() const { return port_; }
  // After the client is done: wait for the script to end.
  void join();
  std::vector<std::string> received();  // lines the server read
  std::vector<std::string> problems();  // script steps that did not go as written
  std::string peer_address();           // the client's address as seen by the server

 private:
  struct Op {
    enum class Kind { send, expect, start_tls, pause, close, reset, hold } kind;
    std::string text;
    SSL_CTX* ctx = nullptr;
    std::chrono::milliseconds ms{0};
  };
  void run();
  bool run_op(const Op&);
  bool read_line(std::string& line);
  bool write_all(const std::string& bytes);
  void problem(std::string what);

  int listen_fd_ = -1;
  int conn_fd_ = -1;
  SSL* ssl_ = nullptr;
  std::uint16_t port_ = 0;
  std::vector<Op> script_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> received_;
  std::vector<std::string> problems_;
  std::string peer_;
};

}  // namespace lvs::health::testing
