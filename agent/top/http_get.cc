#include "agent/top/http_get.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strings.h>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace logagent::top {

namespace {

using Clock = std::chrono::steady_clock;

// Closes the descriptor it holds.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<int> parse_port(std::string_view text) {
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port <= 0 || port > 65535) {
    return Status::error("invalid port '" + std::string(text) + "'");
  }
  return port;
}

// Splits "HOST:PORT" or "[V6]:PORT" (the port optional when `default_port` > 0).
Status split_host_port(std::string_view hp, int default_port, HttpUrl& out) {
  std::string_view port_text;
  if (!hp.empty() && hp[0] == '[') {
    const size_t close = hp.find(']');
    if (close == std::string_view::npos)
      return Status::error("unclosed '[' in '" + std::string(hp) + "'");
    out.host = std::string(hp.substr(1, close - 1));
    if (close + 1 < hp.size()) {
      if (hp[close + 1] != ':') return Status::error("expected ':' after ']'");
      port_text = hp.substr(close + 2);
    }
  } else {
    const size_t colon = hp.rfind(':');
    out.host = std::string(hp.substr(0, colon));
    if (colon != std::string_view::npos) port_text = hp.substr(colon + 1);
  }
  if (port_text.empty()) {
    if (default_port <= 0) return Status::error("no port in '" + std::string(hp) + "'");
    out.port = default_port;
    return Status::ok();
  }
  auto port = parse_port(port_text);
  if (!port) return port.status();
  out.port = *port;
  return Status::ok();
}

int millis_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

// Waits for `events` on `fd` until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, millis_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the next call report the error
  }
}

Result<int> connect_to(const HttpUrl& url, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  if (const int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Status::error(std::string("cannot resolve host: ") + ::gai_strerror(rc));
  }
  std::string last = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    Fd s{::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol)};
    if (s.fd < 0) continue;
    int err = 0;
    if (::connect(s.fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        if (!wait_for(s.fd, POLLOUT, deadline)) {
          last = "connect timed out";
          continue;
        }
        socklen_t len = sizeof(err);
        ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err == 0) {
      const int fd = s.fd;
      s.fd = -1;
      ::freeaddrinfo(found);
      return fd;
    }
    last = std::strerror(err);
  }
  ::freeaddrinfo(found);
  return Status::error(last);
}

Status send_all(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd, POLLOUT, deadline)) return Status::error("timed out sending");
    } else {
      return Status::error(std::string("send: ") + std::strerror(errno));
    }
  }
  return Status::ok();
}

Result<std::string> decode_chunked(std::string_view body) {
  std::string out;
  for (;;) {
    const size_t eol = body.find("\r\n");
    if (eol == std::string_view::npos) return Status::error("truncated chunked body");
    size_t size = 0;
    const char* begin = body.data();
    const auto [end, ec] = std::from_chars(begin, begin + eol, size, 16);
    if (ec != std::errc() || end == begin) return Status::error("invalid chunk size");
    body.remove_prefix(eol + 2);
    if (size == 0) return out;
    if (body.size() < size + 2) return Status::error("truncated chunked body");
    out.append(body.substr(0, size));
    body.remove_prefix(size + 2);
  }
}

// The value of header `name` in `headers` (CRLF-separated lines), or "".
std::string_view header(std::string_view headers, std::string_view name) {
  while (!headers.empty()) {
    const size_t eol = headers.find("\r\n");
    const std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
    const size_t colon = line.find(':');
    if (colon != name.size() || ::strncasecmp(line.data(), name.data(), name.size()) != 0) continue;
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
  }
  return {};
}

// Whether `response` holds all of a response whose length its headers give (Content-Length, or
// the last chunk); one without either ends with the connection.
bool complete(std::string_view response) {
  const size_t head_end = response.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return false;
  const std::string_view headers = response.substr(0, head_end + 2);
  const std::string_view body = response.substr(head_end + 4);
  const std::string_view coding = header(headers, "Transfer-Encoding");
  if (coding.size() == 7 && ::strncasecmp(coding.data(), "chunked", 7) == 0) {
    return body.ends_with("0\r\n\r\n") && decode_chunked(body).is_ok();
  }
  const std::string_view cl = header(headers, "Content-Length");
  size_t length = 0;
  const auto [end, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), length);
  return !cl.empty() && ec == std::errc() && body.size() >= length;
}

Result<std::string> receive_all(int fd, Clock::time_point deadline) {
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > kMaxBodyBytes) return Status::error("response larger than 64 MiB");
      if (complete(out)) return out;  // a server that keeps the connection open all the same
    } else if (n == 0) {
      return out;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(fd, POLLIN, deadline)) return Status::error("timed out reading the response");
    } else {
      return Status::error(std::string("recv: ") + std::strerror(errno));
    }
  }
}

}  // namespace

std::string HttpUrl::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + path;
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  if (url.starts_with("https://")) return Status::error("https is not supported: use http://");
  if (url.starts_with("http://")) url.remove_prefix(7);
  HttpUrl out;
  const size_t slash = url.find('/');
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  if (Status s = split_host_port(url.substr(0, slash), 80, out); !s) return s;
  if (out.host.empty()) return Status::error("no host in the URL");
  return out;
}

Result<HttpUrl> metrics_url_of_listen(std::string_view listen) {
  HttpUrl out;
  if (Status s = split_host_port(listen, 0, out); !s) return s;
  if (out.host.empty() || out.host == "0.0.0.0") out.host = "127.0.0.1";
  if (out.host == "::") out.host = "::1";
  out.path = "/metrics";
  return out;
}

Result<std::string> http_response_body(std::string_view response) {
  const size_t head_end = response.find("\r\n\r\n");
  if (!response.starts_with("HTTP/1.") || head_end == std::string_view::npos) {
    return Status::error("not an HTTP response");
  }
  const std::string_view head = response.substr(0, head_end);
  std::string_view body = response.substr(head_end + 4);
  const size_t sp = head.find(' ');
  const std::string_view code = sp == std::string_view::npos ? "" : head.substr(sp + 1, 3);
  if (code != "200") {
    const size_t eol = head.find("\r\n");
    return Status::error("HTTP " + std::string(head.substr(sp + 1, eol - sp - 1)));
  }
  const size_t eol = head.find("\r\n");
  const std::string_view headers = eol == std::string_view::npos ? "" : head.substr(eol + 2);
  const std::string_view coding = header(headers, "Transfer-Encoding");
  if (coding.size() == 7 && ::strncasecmp(coding.data(), "chunked", 7) == 0) {
    return decode_chunked(body);
  }
  if (const std::string_view cl = header(headers, "Content-Length"); !cl.empty()) {
    size_t length = 0;
    const auto [end, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), length);
    if (ec != std::errc() || end != cl.data() + cl.size())
      return Status::error("bad Content-Length");
    if (body.size() < length) return Status::error("response shorter than its Content-Length");
    body = body.substr(0, length);
  }
  return std::string(body);
}

Result<int> http_open(const HttpUrl& url, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string where = url.to_string() + ": ";
  auto fd = connect_to(url, deadline);
  if (!fd) return Status::error(where + fd.message());
  Fd sock{*fd};
  const bool v6 = url.host.find(':') != std::string::npos;
  const std::string request =
      "GET " + url.path + " HTTP/1.1\r\nHost: " + (v6 ? "[" + url.host + "]" : url.host) + ":" +
      std::to_string(url.port) + "\r\nAccept: text/plain\r\nConnection: close\r\n\r\n";
  if (Status s = send_all(sock.fd, request, deadline); !s)
    return Status::error(where + s.message());
  const int out = sock.fd;
  sock.fd = -1;
  return out;
}

Result<std::string> http_get(const HttpUrl& url, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string where = url.to_string() + ": ";
  auto fd = http_open(url, timeout);
  if (!fd) return fd.status();
  Fd sock{*fd};
  auto response = receive_all(sock.fd, deadline);
  if (!response) return Status::error(where + response.message());
  auto body = http_response_body(*response);
  if (!body) return Status::error(where + body.message());
  return body;
}

}  // namespace logagent::top
