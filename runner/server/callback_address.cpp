#include "runner/server/callback_address.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace qgate {
namespace {

// Ranges no callback goes to unless allowed: this host, private networks,
// shared and link-local space (the cloud metadata address is there),
// benchmarking, multicast and reserved space.
const std::vector<AddressRange>& internal_ranges() {
  static const std::vector<AddressRange> ranges = [] {
    std::vector<AddressRange> out;
    for (const char* text : {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
                             "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16",
                             "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128",
                             "100::/64", "fe80::/10", "fec0::/10", "fc00::/7", "ff00::/8"}) {
      out.push_back(*parse_address_range(text));
    }
    return out;
  }();
  return ranges;
}

bool contains(const AddressRange& range, int family, const unsigned char* bytes) {
  if (range.family != family) return false;
  const int whole = range.prefix / 8;
  if (std::memcmp(range.bytes, bytes, static_cast<std::size_t>(whole)) != 0) return false;
  const int rest = range.prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (range.bytes[whole] & mask) == (bytes[whole] & mask);
}

bool in_any(const std::vector<AddressRange>& ranges, int family, const unsigned char* bytes) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const AddressRange& r) { return contains(r, family, bytes); });
}

// An IPv6 address that carries an IPv4 one (mapped ::ffff:a.b.c.d, NAT64
// 64:ff9b::a.b.c.d, the old compatible ::a.b.c.d, 6to4 2002:AABB:CCDD::)
// reaches that IPv4 address: it is judged as that one.
bool embedded_ipv4(const unsigned char* v6, unsigned char* v4) {
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  static const unsigned char zeros[12] = {};
  if (std::memcmp(v6, mapped, 12) == 0 || std::memcmp(v6, nat64, 12) == 0 ||
      (std::memcmp(v6, zeros, 12) == 0 && (v6[12] | v6[13]) != 0)) {
    std::memcpy(v4, v6 + 12, 4);
    return true;
  }
  if (v6[0] == 0x20 && v6[1] == 0x02) {
    std::memcpy(v4, v6 + 2, 4);
    return true;
  }
  return false;
}

std::vector<AddressRange> interface_addresses() {
  std::vector<AddressRange> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> owned(list, freeifaddrs);
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    AddressRange r;
    if (i->ifa_addr->sa_family == AF_INET) {
      r.family = AF_INET;
      r.prefix = 32;
      std::memcpy(r.bytes, &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      r.family = AF_INET6;
      r.prefix = 128;
      std::memcpy(r.bytes, &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace

std::optional<AddressRange> parse_address_range(const std::string& text) {
  const auto slash = text.find('/');
  const std::string address = text.substr(0, slash);
  AddressRange range;
  if (::inet_pton(AF_INET, address.c_str(), range.bytes) == 1) {
    range.family = AF_INET;
    range.prefix = 32;
  } else if (::inet_pton(AF_INET6, address.c_str(), range.bytes) == 1) {
    range.family = AF_INET6;
    range.prefix = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string::npos) {
    const std::string prefix = text.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 3 ||
        prefix.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    const int bits = std::stoi(prefix);
    if (bits > range.prefix) return std::nullopt;
    range.prefix = bits;
  }
  return range;
}

CallbackAddressPolicy::CallbackAddressPolicy(std::vector<AddressRange> allowed,
                                             std::vector<int> own_ports)
    : allowed_(std::move(allowed)), own_ports_(std::move(own_ports)) {
  if (!own_ports_.empty()) local_ = interface_addresses();
}

void CallbackAddressPolicy::set_local_addresses(std::vector<AddressRange> local) {
  local_ = std::move(local);
}

std::string CallbackAddressPolicy::refusal(const sockaddr& address, int port) const {
  int family = address.sa_family;
  unsigned char bytes[16] = {};
  if (family == AF_INET) {
    std::memcpy(bytes, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, 4);
  } else if (family == AF_INET6) {
    std::memcpy(bytes, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, 16);
    unsigned char v4[4];
    if (embedded_ipv4(bytes, v4)) {
      family = AF_INET;
      std::memset(bytes, 0, sizeof bytes);
      std::memcpy(bytes, v4, 4);
    }
  } else {
    return "not an IP address";
  }
  const bool internal = in_any(internal_ranges(), family, bytes);
  if (std::find(own_ports_.begin(), own_ports_.end(), port) != own_ports_.end()) {
    const bool this_machine = internal || in_any(local_, family, bytes);
    if (this_machine) return "this server's own port";
  }
  if (internal && !in_any(allowed_, family, bytes)) {
    return "an internal address (loopback, private, link-local or reserved; the server's "
           "--callback-allow can allow ranges)";
  }
  return "";
}

CallbackAddressPolicy::Resolved CallbackAddressPolicy::resolve(const std::string& host,
                                                               int port) const {
  Resolved out;
  std::string name = host;
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (name.empty() || ::getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0) {
    out.problem = "the callback URL's host cannot be resolved";
    return out;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, freeaddrinfo);
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_addr == nullptr) continue;
    if (const std::string why = refusal(*a->ai_addr, port); !why.empty()) {
      out.addresses.clear();
      out.problem = "the callback URL's host is " + why;
      out.refused = true;
      return out;
    }
    char text[INET6_ADDRSTRLEN] = "";
    const void* raw =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr);
    ::inet_ntop(a->ai_family, raw, text, sizeof text);
    if (std::find(out.addresses.begin(), out.addresses.end(), text) == out.addresses.end()) {
      out.addresses.emplace_back(text);
    }
  }
  if (out.addresses.empty()) out.problem = "the callback URL's host cannot be resolved";
  return out;
}

bool callback_host_and_port(const std::string& url, std::string& host, int& port) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  std::string scheme = url.substr(0, scheme_end);
  for (char& c : scheme) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (scheme != "http" && scheme != "https") return false;
  const std::string rest = url.substr(scheme_end + 3);
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return false;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return false;
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  for (char& c : host) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (host.empty()) return false;
  if (port_text.empty()) {
    port = scheme == "https" ? 443 : 80;
    return true;
  }
  if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  port = std::stoi(port_text);
  return port > 0 && port <= 65535;
}

}  // namespace qgate
