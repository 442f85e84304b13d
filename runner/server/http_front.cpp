// The front of `qgate serve` (runner/server/http_front.hpp): one thread owns
// every connection that is not being answered. It reads what each one sends
// into the connection's buffer, feeds it to the parser only to find where
// the request ends, and enforces the deadlines and limits; a whole request
// goes to a lane's queue, and the connection comes back once answered.
#include "runner/server/http_front.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runner/sys/fd.hpp"

namespace qgate {
namespace {

using Clock = std::chrono::steady_clock;

std::string address_text(const sockaddr_storage& address, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  port = 0;
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    port = ntohs(in.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    port = ntohs(in6.sin6_port);
  }
  return text;
}

// The text of an answer the front gives itself; the connection ends after it.
std::string refusal_text(int status) {
  const char* reason = "Bad Request";
  std::string code = "bad_request";
  std::string message = "the request is not valid HTTP/1.1";
  std::string extra;
  switch (status) {
    case 408:
      reason = "Request Timeout";
      code = "request_timeout";
      message = "the request did not arrive in time";
      break;
    case 413:
      reason = "Payload Too Large";
      code = "payload_too_large";
      message = "the body is larger than the server accepts";
      break;
    case 429:
      reason = "Too Many Requests";
      code = "too_many_connections";
      message = "this client address has too many connections open";
      extra = "Retry-After: 1\r\n";
      break;
    case 431:
      reason = "Request Header Fields Too Large";
      code = "headers_too_large";
      message = "the request's header block is too large or has too many fields";
      break;
    case 503:
      reason = "Service Unavailable";
      code = "server_busy";
      message = "the server has too many connections open";
      extra = "Retry-After: 1\r\n";
      break;
    default:
      break;
  }
  const std::string body = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + extra + "\r\n" + body;
}

// What the front knows of one connection. The front thread owns it, except
// while a lane thread answers its request (`answering`).
struct Connection {
  enum class Phase { idle, headers, body, answering, draining };

  std::uint64_t id = 0;
  Fd fd;
  std::string client;  // the peer's address, for the per-client cap
  int client_port = 0;
  std::string local;
  int local_port = 0;
  Phase phase = Phase::idle;
  Clock::time_point deadline;
  int requests = 0;

  // Bytes received and not yet answered; the current request is its first
  // `parsed` bytes once `complete`.
  std::string buffer;
  std::size_t parsed = 0;
  http_parser parser{};
  bool complete = false;
  bool keep_alive = true;
  int refusal = 0;  // the status a callback decided on, 0 if none
  std::size_t fields = 0;
  bool in_field = false;
  std::string field;  // the current header's name, lowercased (cut at 32)
  std::string expect;
  std::uint64_t body_bytes = 0;
  std::string target;  // the request target (cut at 64)
  bool continue_sent = false;

  // Set by the lane thread.
  Lane lane = Lane::requests;
  CloseAfter close_after = CloseAfter::no;
  bool keep = false;

  const FrontOptions* options = nullptr;
};

class LaneRequest final : public FrontRequest {
 public:
  LaneRequest(Connection& c, std::chrono::milliseconds write_timeout)
      : c_(c), write_timeout_(write_timeout) {}
  std::string_view bytes() const override { return {c_.buffer.data(), c_.parsed}; }
  CloseAfter close_after() const override { return c_.close_after; }
  bool write(const char* data, std::size_t size) override {
    while (size > 0) {
      const ssize_t n = ::send(c_.fd.get(), data, size, MSG_NOSIGNAL);
      if (n > 0) {
        data += n;
        size -= static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_writable()) continue;
      failed_ = true;
      return false;
    }
    return true;
  }
  bool writable() const override {
    if (failed_ || !wait_writable()) return false;
    // A client that closed its side is gone: a followed log stops for it.
    pollfd in{c_.fd.get(), POLLIN, 0};
    if (::poll(&in, 1, 0) > 0) {
      char byte;
      const ssize_t n = ::recv(c_.fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0) return false;
    }
    return true;
  }
  std::string remote_ip() const override { return c_.client; }
  int remote_port() const override { return c_.client_port; }
  std::string local_ip() const override { return c_.local; }
  int local_port() const override { return c_.local_port; }
  int socket() const override { return c_.fd.get(); }
  bool failed() const { return failed_; }

 private:
  bool wait_writable() const {
    pollfd out{c_.fd.get(), POLLOUT, 0};
    int ready = 0;
    do {
      ready = ::poll(&out, 1, static_cast<int>(write_timeout_.count()));
    } while (ready < 0 && errno == EINTR);
    return ready > 0 && (out.revents & (POLLERR | POLLHUP)) == 0;
  }

  Connection& c_;
  std::chrono::milliseconds write_timeout_;
  bool failed_ = false;
};

// ---- the parser's callbacks: framing, limits and the lane

Connection& of(http_parser* parser) { return *static_cast<Connection*>(parser->data); }

int on_url(http_parser* parser, const char* at, std::size_t length) {
  Connection& c = of(parser);
  c.target.append(at,
                  std::min<std::size_t>(length, 64 - std::min<std::size_t>(64, c.target.size())));
  return 0;
}

int on_header_field(http_parser* parser, const char* at, std::size_t length) {
  Connection& c = of(parser);
  if (!c.in_field) {
    c.in_field = true;
    c.field.clear();
    if (++c.fields > c.options->max_header_fields) {
      c.refusal = 431;
      return 1;
    }
  }
  for (std::size_t i = 0; i < length && c.field.size() < 32; ++i) {
    const char ch = at[i];
    c.field += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  }
  return 0;
}

int on_header_value(http_parser* parser, const char* at, std::size_t length) {
  Connection& c = of(parser);
  c.in_field = false;
  if (c.field == "expect" && c.expect.size() < 32)
    c.expect.append(at, std::min<std::size_t>(length, 32));
  return 0;
}

int on_headers_complete(http_parser* parser) {
  Connection& c = of(parser);
  const bool has_length = (parser->flags & F_CONTENTLENGTH) != 0;
  if (has_length && parser->content_length > c.options->max_body_bytes) {
    c.refusal = 413;
    return -1;
  }
  if (parser->upgrade) {
    c.refusal = 400;
    return -1;
  }
  c.phase = Connection::Phase::body;
  c.deadline = Clock::now() + c.options->body_timeout;
  const bool has_body =
      (parser->flags & F_CHUNKED) != 0 || (has_length && parser->content_length > 0);
  std::string expect = c.expect;
  for (char& ch : expect) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  if (has_body && expect == "100-continue") {
    // The client waits for this before it sends the body.
    static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    (void)::send(c.fd.get(), kContinue, sizeof kContinue - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    c.continue_sent = true;
  }
  return 0;
}

int on_body(http_parser* parser, const char*, std::size_t length) {
  Connection& c = of(parser);
  c.body_bytes += length;
  if (c.body_bytes > c.options->max_body_bytes) {
    c.refusal = 413;
    return 1;
  }
  return 0;
}

int on_message_complete(http_parser* parser) {
  Connection& c = of(parser);
  c.complete = true;
  c.keep_alive = http_should_keep_alive(parser) != 0;
  http_parser_pause(parser, 1);
  return 0;
}

const http_parser_settings& parser_settings() {
  static const http_parser_settings settings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_url = on_url;
    s.on_header_field = on_header_field;
    s.on_header_value = on_header_value;
    s.on_headers_complete = on_headers_complete;
    s.on_body = on_body;
    s.on_message_complete = on_message_complete;
    return s;
  }();
  return settings;
}

bool is_probe(const Connection& c) {
  const auto method = static_cast<http_method>(c.parser.method);
  if (method != HTTP_GET && method != HTTP_HEAD) return false;
  const std::string path = c.target.substr(0, c.target.find('?'));
  return path == "/healthz" || path == "/readyz" || path == "/metrics";
}

// A queue of connections whose request is whole, served by a lane's threads.
class LaneQueue {
 public:
  void push(Connection* c) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(c);
    }
    ready_.notify_one();
  }
  // Returns nullptr once closed and empty.
  Connection* pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return nullptr;
    Connection* c = items_.front();
    items_.pop_front();
    return c;
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }
  // Takes back what no thread took (at stop).
  std::deque<Connection*> take_all() {
    std::lock_guard lock(mutex_);
    return std::exchange(items_, {});
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Connection*> items_;
  bool closed_ = false;
};

constexpr std::uint64_t kListenerId = 0;
constexpr std::uint64_t kWakeId = 1;

}  // namespace

struct HttpFront::State {
  FrontOptions options;
  Handler handler;
  RefusalListener refused;

  Fd listener;
  Fd epoll;
  Fd wake;  // an eventfd: a connection came back, or stop
  std::atomic<bool> stopping{false};

  // The front thread's own.
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections;
  std::unordered_map<std::string, int> per_client;
  std::uint64_t next_id = 2;
  Clock::time_point accept_paused_until{};
  bool listener_armed = false;

  LaneQueue request_lane;
  LaneQueue probe_lane;
  std::mutex returned_mutex;
  std::vector<Connection*> returned;

  void arm(Connection& c) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.u64 = c.id;
    epoll_ctl(epoll.get(), EPOLL_CTL_ADD, c.fd.get(), &event);
  }
  void disarm(Connection& c) { epoll_ctl(epoll.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr); }

  void set_listener_armed(bool on) {
    if (on == listener_armed) return;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kListenerId;
    epoll_ctl(epoll.get(), on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listener.get(), &event);
    listener_armed = on;
  }

  void close_connection(Connection& c) {
    const auto found = per_client.find(c.client);
    if (found != per_client.end() && --found->second <= 0) per_client.erase(found);
    if (c.phase != Connection::Phase::answering) disarm(c);
    connections.erase(c.id);  // closes the socket
  }

  // Answers with `status` and ends the connection: the answer is written,
  // the sending side shut, and what the client still sends read and thrown
  // away for a moment, so that closing does not reset the connection before
  // the client has read the answer.
  void refuse(Connection& c, int status) {
    const std::string text = refusal_text(status);
    (void)::send(c.fd.get(), text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(c.fd.get(), SHUT_WR);
    c.phase = Connection::Phase::draining;
    c.deadline = Clock::now() + std::chrono::seconds(1);
    c.buffer.clear();
    c.buffer.shrink_to_fit();
    if (refused) refused(status);
  }

  void start_message(Connection& c) {
    http_parser_init(&c.parser, HTTP_REQUEST);
    c.parser.data = &c;
    c.parsed = 0;
    c.complete = false;
    c.keep_alive = true;
    c.refusal = 0;
    c.fields = 0;
    c.in_field = false;
    c.field.clear();
    c.expect.clear();
    c.body_bytes = 0;
    c.target.clear();
    c.continue_sent = false;
    c.phase = Connection::Phase::headers;
    c.deadline = Clock::now() + options.header_timeout;
  }

  // Feeds what was received to the parser; hands a whole request to its
  // lane, or refuses a bad one.
  void advance(Connection& c) {
    if (c.phase == Connection::Phase::idle) {
      // Empty lines before a request are allowed (RFC 9112, 2.2).
      const auto start = c.buffer.find_first_not_of("\r\n");
      c.buffer.erase(0, start);
      if (c.buffer.empty()) return;
      start_message(c);
    }
    if (c.parsed < c.buffer.size()) {
      const std::size_t n = http_parser_execute(
          &c.parser, &parser_settings(), c.buffer.data() + c.parsed, c.buffer.size() - c.parsed);
      c.parsed += n;
      const auto error = HTTP_PARSER_ERRNO(&c.parser);
      if (!c.complete && error != HPE_OK) {
        return refuse(c, c.refusal != 0 ? c.refusal : error == HPE_HEADER_OVERFLOW ? 431 : 400);
      }
    }
    if (!c.complete) return;
    c.phase = Connection::Phase::answering;
    c.lane = is_probe(c) ? Lane::probes : Lane::requests;
    c.close_after = (!c.keep_alive || ++c.requests >= options.max_requests_per_connection)
                        ? CloseAfter::yes
                        : CloseAfter::no;
    disarm(c);
    (c.lane == Lane::probes ? probe_lane : request_lane).push(&c);
  }

  void on_readable(Connection& c) {
    char chunk[16 * 1024];
    // At most one request's worth at a time: what follows waits in the
    // socket until this one is answered.
    const std::size_t limit = options.max_header_bytes + options.max_body_bytes + sizeof chunk;
    while (c.phase != Connection::Phase::answering) {
      const ssize_t n = ::recv(c.fd.get(), chunk, sizeof chunk, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) return close_connection(c);  // closed by the client, or reset
      if (c.phase == Connection::Phase::draining) continue;
      c.buffer.append(chunk, static_cast<std::size_t>(n));
      advance(c);
      if (c.buffer.size() > limit && c.phase != Connection::Phase::answering) {
        return refuse(c, 400);
      }
    }
  }

  void accept_all() {
    while (true) {
      sockaddr_storage peer{};
      socklen_t length = sizeof peer;
      const int fd = ::accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer), &length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: try again in a moment rather than spin.
          set_listener_armed(false);
          accept_paused_until = Clock::now() + std::chrono::milliseconds(100);
        }
        return;
      }
      auto c = std::make_unique<Connection>();
      c->id = next_id++;
      c->fd = Fd(fd);
      c->options = &options;
      c->client = address_text(peer, c->client_port);
      sockaddr_storage local{};
      socklen_t local_length = sizeof local;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) == 0) {
        c->local = address_text(local, c->local_port);
      }
      const int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      c->phase = Connection::Phase::idle;
      c->deadline = Clock::now() + options.header_timeout;
      Connection& ref = *c;
      const int open_here = per_client[c->client]++;
      const bool too_many = static_cast<int>(connections.size()) >= options.max_connections;
      connections.emplace(c->id, std::move(c));
      arm(ref);
      if (too_many) {
        refuse(ref, 503);
      } else if (open_here >= options.max_connections_per_client) {
        refuse(ref, 429);
      }
    }
  }

  void take_returned() {
    std::vector<Connection*> back;
    {
      std::lock_guard lock(returned_mutex);
      back.swap(returned);
    }
    for (Connection* c : back) {
      if (!c->keep || stopping) {
        close_connection(*c);
        continue;
      }
      c->buffer.erase(0, c->parsed);
      c->parsed = 0;
      c->phase = Connection::Phase::idle;
      c->deadline = Clock::now() + options.idle_timeout;
      arm(*c);
      // A request sent right behind the last one is already here.
      if (!c->buffer.empty()) advance(*c);
    }
  }

  void expire() {
    const auto now = Clock::now();
    std::vector<Connection*> due;
    for (auto& [id, c] : connections) {
      if (c->phase != Connection::Phase::answering && now >= c->deadline) due.push_back(c.get());
    }
    for (Connection* c : due) {
      if (c->phase == Connection::Phase::headers || c->phase == Connection::Phase::body) {
        refuse(*c, 408);
      } else {
        close_connection(*c);
      }
    }
    if (!listener_armed && now >= accept_paused_until) set_listener_armed(true);
  }

  void lane_thread(LaneQueue& queue) {
    while (Connection* c = queue.pop()) {
      LaneRequest request(*c, options.write_timeout);
      bool keep = false;
      try {
        keep = handler(request, c->lane);
      } catch (const std::exception&) {
        keep = false;
      }
      c->keep = keep && !request.failed() && c->close_after == CloseAfter::no;
      {
        std::lock_guard lock(returned_mutex);
        returned.push_back(c);
      }
      const std::uint64_t one = 1;
      (void)!::write(wake.get(), &one, sizeof one);
    }
  }
};

HttpFront::HttpFront(FrontOptions options, Handler handler, RefusalListener refused)
    : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  state_->handler = std::move(handler);
  state_->refused = std::move(refused);
  http_parser_set_max_header_size(static_cast<std::uint32_t>(state_->options.max_header_bytes));
}

HttpFront::~HttpFront() = default;

int HttpFront::listen(std::string& error) {
  State& s = *state_;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(s.options.port);
  const int failed = ::getaddrinfo(s.options.host.empty() ? nullptr : s.options.host.c_str(),
                                   port.c_str(), &hints, &found);
  if (failed != 0) {
    error = gai_strerror(failed);
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
  error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (fd.get() < 0) {
      error = std::strerror(errno);
      continue;
    }
    const int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd.get(), 1024) != 0) {
      error = std::strerror(errno);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length);
    int bound_port = 0;
    address_text(bound, bound_port);
    s.listener = std::move(fd);
    s.epoll = Fd(::epoll_create1(EPOLL_CLOEXEC));
    s.wake = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kWakeId;
    epoll_ctl(s.epoll.get(), EPOLL_CTL_ADD, s.wake.get(), &event);
    s.set_listener_armed(true);
    error.clear();
    return bound_port;
  }
  return -1;
}

void HttpFront::run() {
  State& s = *state_;
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, s.options.request_threads); ++i) {
    threads.emplace_back([&s] { s.lane_thread(s.request_lane); });
  }
  for (int i = 0; i < std::max(1, s.options.probe_threads); ++i) {
    threads.emplace_back([&s] { s.lane_thread(s.probe_lane); });
  }
  std::vector<epoll_event> events(256);
  auto next_scan = Clock::now();
  while (!s.stopping) {
    const int n = epoll_wait(s.epoll.get(), events.data(), static_cast<int>(events.size()), 50);
    for (int i = 0; i < n; ++i) {
      const std::uint64_t id = events[static_cast<std::size_t>(i)].data.u64;
      if (id == kListenerId) {
        s.accept_all();
      } else if (id == kWakeId) {
        std::uint64_t count = 0;
        (void)!::read(s.wake.get(), &count, sizeof count);
        s.take_returned();
      } else if (const auto found = s.connections.find(id); found != s.connections.end()) {
        s.on_readable(*found->second);
      }
    }
    if (Clock::now() >= next_scan) {
      s.expire();
      next_scan = Clock::now() + std::chrono::milliseconds(50);
    }
  }
  // Stop: no new connections; requests being answered are finished, those
  // still queued are dropped with their connections.
  s.set_listener_armed(false);
  s.listener.reset();
  s.request_lane.close();
  s.probe_lane.close();
  for (auto* lane : {&s.request_lane, &s.probe_lane}) {
    for (Connection* c : lane->take_all()) {
      std::lock_guard lock(s.returned_mutex);
      c->keep = false;
      s.returned.push_back(c);
    }
  }
  for (auto& thread : threads) thread.join();
  s.take_returned();
  s.connections.clear();
  s.per_client.clear();
}

void HttpFront::stop() {
  state_->stopping = true;
  const std::uint64_t one = 1;
  if (state_->wake.get() >= 0) (void)!::write(state_->wake.get(), &one, sizeof one);
}

}  // namespace qgate
