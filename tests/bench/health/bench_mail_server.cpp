// lvs_bench_mail_server: the targets of the health-check benchmark. One epoll loop
// listening on many ports of one address: on the TCP ports it accepts and waits for the
// checker to close; on the SMTP ports it speaks just enough SMTP for a check (220 greeting,
// HELO/EHLO -> 250, QUIT -> 221). It counts accepted connections per kind, so every
// checker is measured by the same count; SIGUSR1 writes the counts to --stats FILE, one
// line per port range: "KIND FIRST_PORT ACCEPTED". --tcp-ports and --smtp-ports may repeat,
// so two checkers running at once each get their own range.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

enum class Kind { tcp, smtp };

struct Range {
  Kind kind = Kind::tcp;
  int first = 0;
  int count = 0;
  unsigned long long accepted = 0;
};

struct Conn {
  Kind kind;
  std::string in;
};

bool parse_range(const std::string& text, Range& r) {
  auto colon = text.find(':');
  if (colon == std::string::npos) return false;
  r.first = std::stoi(text.substr(0, colon));
  r.count = std::stoi(text.substr(colon + 1));
  return r.first > 0 && r.count >= 0 && r.first + r.count <= 65536;
}

int listen_on(const std::string& address, int port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = address.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (family == AF_INET) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, address.c_str(), &sa->sin_addr) != 1) return -1;
    len = sizeof(*sa);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET6, address.c_str(), &sa->sin6_addr) != 1) return -1;
    len = sizeof(*sa);
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 128) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const char* text) {
  // Replies are tiny and the socket buffer is empty: one send suffices; a failure only
  // means the checker went away.
  (void)!send(fd, text, std::strlen(text), MSG_NOSIGNAL);
}

}  // namespace

int main(int argc, char** argv) {
  std::string address = "127.0.0.1", stats;
  std::vector<Range> ranges;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string opt = argv[i], val = argv[i + 1];
    Range r;
    if (opt == "--address") address = val;
    else if (opt == "--tcp-ports" && parse_range(val, r)) ranges.push_back(r);
    else if (opt == "--smtp-ports" && parse_range(val, r)) {
      r.kind = Kind::smtp;
      ranges.push_back(r);
    } else if (opt == "--stats") stats = val;
    else {
      std::cerr << "usage: lvs_bench_mail_server [--address A] [--tcp-ports FIRST:COUNT] "
                   "[--smtp-ports FIRST:COUNT] --stats FILE\n";
      return 2;
    }
  }
  if (stats.empty()) {
    std::cerr << "lvs_bench_mail_server: --stats FILE is required\n";
    return 2;
  }

  int ep = epoll_create1(EPOLL_CLOEXEC);
  std::unordered_map<int, Range*> listeners;
  for (auto& range : ranges) {
    for (int p = range.first; p < range.first + range.count; ++p) {
      int fd = listen_on(address, p);
      if (fd < 0) {
        std::cerr << "lvs_bench_mail_server: cannot listen on " << address << " port " << p << ": "
                  << std::strerror(errno) << "\n";
        return 1;
      }
      listeners[fd] = &range;
      epoll_event ev{EPOLLIN, {.fd = fd}};
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  epoll_event sev{EPOLLIN, {.fd = sfd}};
  epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &sev);

  std::unordered_map<int, Conn> conns;
  auto write_stats = [&] {
    std::string tmp = stats + ".tmp";
    {
      std::ofstream out(tmp);
      for (const auto& r : ranges)
        out << (r.kind == Kind::tcp ? "tcp " : "smtp ") << r.first << " " << r.accepted << "\n";
      out << "open - " << conns.size() << "\n";
    }
    std::rename(tmp.c_str(), stats.c_str());
  };
  write_stats();
  std::cerr << "lvs_bench_mail_server: " << listeners.size() << " ports on " << address << "\n";

  std::vector<epoll_event> events(256);
  char buf[1024];
  for (;;) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == sfd) {
        signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
          if (si.ssi_signo == SIGUSR1) write_stats();
          else return 0;
        }
        continue;
      }
      if (auto l = listeners.find(fd); l != listeners.end()) {
        for (;;) {
          int c = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          ++l->second->accepted;
          conns[c] = Conn{l->second->kind, {}};
          epoll_event ev{EPOLLIN | EPOLLRDHUP, {.fd = c}};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
          if (l->second->kind == Kind::smtp) send_all(c, "220 bench.example.test ESMTP\r\n");
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      bool closing = false;
      ssize_t got = recv(fd, buf, sizeof(buf), 0);
      if (got <= 0) {
        closing = !(got < 0 && (errno == EAGAIN || errno == EINTR));
      } else if (it->second.kind == Kind::smtp) {
        it->second.in.append(buf, static_cast<std::size_t>(got));
        std::size_t eol;
        while (!closing && (eol = it->second.in.find('\n')) != std::string::npos) {
          std::string line = it->second.in.substr(0, eol);
          it->second.in.erase(0, eol + 1);
          std::string verb = line.substr(0, 4);
          for (auto& ch : verb) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
          if (verb == "EHLO") send_all(fd, "250-bench.example.test\r\n250 PIPELINING\r\n");
          else if (verb == "HELO") send_all(fd, "250 bench.example.test\r\n");
          else if (verb == "QUIT") { send_all(fd, "221 bye\r\n"); closing = true; }
          else send_all(fd, "502 not implemented\r\n");
        }
        if (it->second.in.size() > 4096) closing = true;
      }
      if (closing) {
        close(fd);  // also leaves the epoll set
        conns.erase(it);
      }
    }
  }
}
