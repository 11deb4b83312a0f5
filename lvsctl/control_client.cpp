#include "control_client.h"

#include "control/replies.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lvsctl {

lvs::Result<ControlClient> ControlClient::connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return lvs::Error{ENAMETOOLONG, "control socket path \"" + path + "\" is empty or too long"};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return lvs::Error{errno, "cannot create a socket"};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    lvs::Error e{errno, "cannot reach lvsd at " + path};
    ::close(fd);
    return e;
  }
  return ControlClient(fd);
}

ControlClient::~ControlClient() {
  if (fd_ >= 0) ::close(fd_);
}

lvs::Result<nlohmann::json> ControlClient::request(const nlohmann::json& request, std::chrono::milliseconds timeout) {
  const std::string line = request.dump() + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return lvs::Error{errno, "cannot send the request to lvsd"};
    done += static_cast<std::size_t>(n);
  }
  return next_line(timeout);
}

lvs::Result<nlohmann::json> ControlClient::next_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string reply = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      auto j = nlohmann::json::parse(reply, nullptr, false);
      if (j.is_discarded() || !j.is_object()) return lvs::Error{EPROTO, "lvsd sent a reply that is not JSON"};
      return j;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return lvs::Error{ETIMEDOUT, "no reply from lvsd"};
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return lvs::Error{errno, "cannot read the reply from lvsd"};
    if (n == 0) return lvs::Error{ECONNRESET, "lvsd closed the connection without a reply"};
    buffer_.append(buf, static_cast<std::size_t>(n));
    if (buffer_.size() > 256u * 1024 * 1024) return lvs::Error{EMSGSIZE, "reply from lvsd too large"};
  }
}

std::string json_document(const nlohmann::json& doc) {
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string failure_document(const lvs::control::ErrorReply& failure) { return json_document(nlohmann::json(failure)); }

void add_socket_option(CLI::App& cmd, std::string& path) {
  path = kDefaultControlSocket;
  cmd.add_option("--socket", path, "lvsd's control socket")->capture_default_str();
}

void add_real_target_options(CLI::App& cmd, RealTarget& target) {
  cmd.add_option("real", target.real, "ADDR (every port), ADDR:PORT or [V6]:PORT")->required();
  cmd.add_option("--service", target.service, "only this service (expanded name, or as written for all its ports)");
  add_socket_option(cmd, target.socket);
}

lvs::control::Request real_request(lvs::control::Command command, const RealTarget& target) {
  lvs::control::Request r;
  r.command = command;
  r.real = target.real;
  r.service = target.service;
  return r;
}

lvs::Result<nlohmann::json> call_daemon(const std::string& socket, const nlohmann::json& request, bool* refused,
                                        std::chrono::milliseconds timeout, lvs::control::ErrorReply* failure) {
  if (refused) *refused = false;
  auto client = ControlClient::connect(socket);
  if (!client) {
    std::fprintf(stderr, "lvsctl: %s\n", client.error().describe().c_str());
    if (failure) *failure = {client.error().describe(), {}};
    return client.error();
  }
  auto reply = client->request(request, timeout);
  if (!reply) {
    std::fprintf(stderr, "lvsctl: %s\n", reply.error().describe().c_str());
    if (failure) *failure = {reply.error().describe(), {}};
    return reply.error();
  }
  if (auto no = lvs::control::refusal(*reply)) {
    if (refused) *refused = true;
    if (failure) *failure = *no;
    std::fprintf(stderr, "lvsctl: %s\n", no->error.c_str());
    for (const auto& e : no->errors) std::fprintf(stderr, "  %s\n", e.c_str());
    return lvs::Error{0, no->error};
  }
  return reply;
}

}  // namespace lvsctl
