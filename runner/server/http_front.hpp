#pragma once
// The front of `qgate serve`: its own listening socket and accept loop, on
// one thread (epoll), which reads every request whole before any request
// thread sees it. A request's headers must arrive within one deadline and
// its body within another, counted from their first byte, however slowly
// the bytes trickle in; the header block has a size and a field limit; each
// client address has a cap on its open connections. So a client that sends
// slowly, or not at all, holds a socket and a small buffer, never a thread.
// Whole requests go to one of two lanes of threads: probes (GET /healthz,
// /readyz and /metrics) have threads of their own, so that they are
// answered while every request thread is busy.
//
// Framing (where a request ends) is the HTTP/1.1 parser of libhttp-parser;
// what a request means is left to the handler (cpp-httplib in server.cpp).
// A request with neither Content-Length nor Transfer-Encoding has an empty
// body (RFC 9112, 6.3). The front answers on its own, and closes the
// connection: 400 (not HTTP/1.1), 408 (deadline passed), 413 (body too
// large), 429 (too many connections from this address), 431 (header block
// too large or too many fields), 503 (too many connections in all).
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace qgate {

struct FrontOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  int request_threads = 8;
  int probe_threads = 1;
  // From a request's first byte to the end of its headers.
  std::chrono::milliseconds header_timeout{10'000};
  // From the end of the headers to the end of the body.
  std::chrono::milliseconds body_timeout{10'000};
  // How long a connection may wait, idle, for its next request.
  std::chrono::milliseconds idle_timeout{5'000};
  // How long one write of an answer may wait for the client to read.
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_header_bytes = 8 * 1024;  // request line and headers
  std::size_t max_header_fields = 100;
  std::size_t max_body_bytes = 64 * 1024;
  int max_connections_per_client = 32;
  int max_connections = 4096;
  int max_requests_per_connection = 1000;
};

// Which threads serve a request.
enum class Lane { requests, probes };

// Whether the connection ends after this request.
enum class CloseAfter { no, yes };

// One whole request as a request thread sees it, and the way its answer
// goes back.
class FrontRequest {
 public:
  virtual ~FrontRequest() = default;
  // Returns the request as received: start line, headers and body.
  virtual std::string_view bytes() const = 0;
  // Returns whether this is the connection's last request.
  virtual CloseAfter close_after() const = 0;
  // Writes all of `data` (`size` bytes), each wait for the client at most
  // the write timeout; returns false if the client is gone or too slow.
  virtual bool write(const char* data, std::size_t size) = 0;
  // Waits, at most the write timeout, until the client can take more;
  // returns false if it is gone.
  virtual bool writable() const = 0;
  // Returns the client's (`remote`) or the server's address and port.
  virtual std::string remote_ip() const = 0;
  virtual int remote_port() const = 0;
  virtual std::string local_ip() const = 0;
  virtual int local_port() const = 0;
  virtual int socket() const = 0;
};

class HttpFront {
 public:
  // Answers one request; returns whether the connection may carry another.
  using Handler = std::function<bool(FrontRequest&, Lane)>;
  // Hears of each answer the front gives itself (its HTTP status).
  using RefusalListener = std::function<void(int status)>;

  HttpFront(FrontOptions options, Handler handler, RefusalListener refused);
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Binds and listens; returns the port, or -1 with the reason in `error`.
  int listen(std::string& error);
  // Serves until stop() is called; returns once the threads have ended.
  void run();
  // Makes run() return (callable from any thread, once listening).
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace qgate
