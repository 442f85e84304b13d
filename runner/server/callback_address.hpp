#pragma once
// Where callbacks may go. A callback URL names a host that the server
// resolves and connects to, and a token holder chooses it: without a check
// it is a way to reach what only the server can (its loopback, the private
// network, the cloud's metadata address, the server's own ports). So the
// host is resolved first, in the same way the HTTP client would (every
// numeric spelling included: 127.1, 2130706433, 0x7f000001, ::ffff:7f00:1),
// and the request is refused when any of its addresses is internal, unless
// the operator allows it (`qgate serve --callback-allow CIDR,...`). The
// server's own ports on this machine are refused even then. The check is
// made when a run is asked for and again at each attempt (DNS can change),
// and an attempt connects to the address checked, not to a new lookup.
#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <vector>

namespace qgate {

// An address range, e.g. 10.0.0.0/8 or fd00::/8.
struct AddressRange {
  int family = AF_INET;  // AF_INET or AF_INET6
  unsigned char bytes[16] = {};
  int prefix = 0;
};

// Parses "ADDRESS/PREFIX" or a lone ADDRESS (all its bits); nullopt if it is
// not one.
std::optional<AddressRange> parse_address_range(const std::string& text);

// The addresses a callback may be sent to.
class CallbackAddressPolicy {
 public:
  CallbackAddressPolicy() = default;
  CallbackAddressPolicy(std::vector<AddressRange> allowed, std::vector<int> own_ports);

  // Returns "" if a callback may be sent to `address` on `port`, else why
  // not (never naming more than the caller gave).
  std::string refusal(const sockaddr& address, int port) const;

  // What resolve() found.
  struct Resolved {
    std::vector<std::string> addresses;  // numeric text, each one allowed
    std::string problem;                 // "" when the host may be called
    bool refused = false;                // the host is refused (not merely unresolved)
  };

  // Resolves `host` (a name, an IPv4 address in any numeric spelling, or an
  // IPv6 address, with or without brackets) and judges every address.
  Resolved resolve(const std::string& host, int port) const;

  // Makes this machine's own addresses known (for the own-ports rule);
  // read from the interfaces when not set.
  void set_local_addresses(std::vector<AddressRange> local);

 private:
  std::vector<AddressRange> allowed_;
  std::vector<int> own_ports_;
  std::vector<AddressRange> local_;
};

// The host and port of an http(s) callback URL (brackets of an IPv6 address
// removed; the scheme's port when none is given); false if there is none.
bool callback_host_and_port(const std::string& url, std::string& host, int& port);

}  // namespace qgate
