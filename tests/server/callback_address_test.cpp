// Where callbacks may go (runner/server/callback_address.*): every host here
// is numeric or "localhost" (from /etc/hosts), so nothing is looked up on a
// network and nothing is connected to.
#include "runner/server/callback_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace qgate {
namespace {

std::string problem_of(const CallbackAddressPolicy& policy, const std::string& host,
                       int port = 80) {
  return policy.resolve(host, port).problem;
}

TEST(CallbackAddress, LoopbackInEverySpellingAndInternalRangesAreRefused) {
  const CallbackAddressPolicy policy;
  for (const char* host : {"127.0.0.1",
                           "127.1",
                           "2130706433",
                           "0x7f000001",
                           "0177.0.0.1",
                           "127.255.255.254",
                           "0.0.0.0",
                           "0",
                           "localhost",
                           "[::1]",
                           "::1",
                           "[::]",
                           "[::ffff:127.0.0.1]",
                           "[::ffff:7f00:1]",
                           "[64:ff9b::7f00:1]",
                           "[2002:7f00:1::]",
                           "10.1.2.3",
                           "172.16.0.1",
                           "172.31.255.255",
                           "192.168.1.1",
                           "169.254.169.254",
                           "100.64.0.1",
                           "198.18.0.1",
                           "224.0.0.1",
                           "255.255.255.255",
                           "[fe80::1]",
                           "[fd00::1]",
                           "[fc00::1]",
                           "[ff02::1]"}) {
    const auto resolved = policy.resolve(host, 80);
    EXPECT_TRUE(resolved.refused) << host;
    EXPECT_NE(resolved.problem.find("internal address"), std::string::npos)
        << host << ": " << resolved.problem;
    EXPECT_TRUE(resolved.addresses.empty()) << host;
  }
}

TEST(CallbackAddress, PublicAddressesPassAsTheyAreWritten) {
  const CallbackAddressPolicy policy;
  const auto v4 = policy.resolve("93.184.216.34", 443);
  EXPECT_EQ(v4.problem, "");
  EXPECT_EQ(v4.addresses, std::vector<std::string>{"93.184.216.34"});
  const auto v6 = policy.resolve("[2606:2800:220:1:248:1893:25c8:1946]", 443);
  EXPECT_EQ(v6.problem, "");
  EXPECT_EQ(v6.addresses, std::vector<std::string>{"2606:2800:220:1:248:1893:25c8:1946"});
  // Neighbours of the private ranges are public.
  for (const char* host : {"172.32.0.1", "11.0.0.1", "192.169.0.1", "100.128.0.1", "1.1.1.1"}) {
    EXPECT_EQ(problem_of(policy, host), "") << host;
  }
}

TEST(CallbackAddress, AllowedRangesPassButNeverTheServersOwnPort) {
  CallbackAddressPolicy policy(
      {*parse_address_range("127.0.0.1"), *parse_address_range("10.0.0.0/8")}, {8080});
  EXPECT_EQ(problem_of(policy, "127.0.0.1", 9000), "");
  EXPECT_EQ(problem_of(policy, "127.1", 9000), "");               // the same address
  EXPECT_EQ(problem_of(policy, "[::ffff:127.0.0.1]", 9000), "");  // mapped: the same
  EXPECT_EQ(problem_of(policy, "10.200.0.1", 9000), "");
  EXPECT_NE(problem_of(policy, "127.0.0.2", 9000), "");  // only the one address
  EXPECT_NE(problem_of(policy, "192.168.0.1", 9000), "");
  EXPECT_NE(problem_of(policy, "[::1]", 9000), "");
  // Port 8080 is this server's: refused on loopback whatever is allowed.
  const auto own = policy.resolve("127.0.0.1", 8080);
  EXPECT_TRUE(own.refused);
  EXPECT_NE(own.problem.find("this server's own port"), std::string::npos) << own.problem;
  EXPECT_NE(problem_of(policy, "0.0.0.0", 8080), "");
  // And on the machine's other addresses.
  policy.set_local_addresses({*parse_address_range("203.0.113.7")});
  EXPECT_NE(problem_of(policy, "203.0.113.7", 8080), "");
  EXPECT_EQ(problem_of(policy, "203.0.113.7", 9000), "");
  EXPECT_EQ(problem_of(policy, "203.0.113.8", 8080), "");  // another host's 8080
}

TEST(CallbackAddress, UnresolvableHostIsAProblemButNotARefusal) {
  const CallbackAddressPolicy policy;
  // (An empty name: a test looks nothing up on a network.)
  const auto resolved = policy.resolve("", 80);
  EXPECT_FALSE(resolved.refused);
  EXPECT_NE(resolved.problem.find("cannot be resolved"), std::string::npos) << resolved.problem;
}

TEST(CallbackAddress, RangesAreParsedStrictly) {
  const auto v4 = parse_address_range("10.0.0.0/8");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family, AF_INET);
  EXPECT_EQ(v4->prefix, 8);
  const auto host = parse_address_range("fd00::1");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->family, AF_INET6);
  EXPECT_EQ(host->prefix, 128);
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "127.1",
                          "example.com", "10.0.0.0/8/8"}) {
    EXPECT_FALSE(parse_address_range(bad)) << bad;
  }
}

TEST(CallbackAddress, HostAndPortAreTakenFromTheUrl) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(callback_host_and_port("https://Hooks.Example.com/x?y=1", host, port));
  EXPECT_EQ(host, "hooks.example.com");
  EXPECT_EQ(port, 443);
  ASSERT_TRUE(callback_host_and_port("http://[::1]:8080/x", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(callback_host_and_port("http://127.1", host, port));
  EXPECT_EQ(host, "127.1");
  EXPECT_EQ(port, 80);
  EXPECT_FALSE(callback_host_and_port("http://:80/", host, port));
  EXPECT_FALSE(callback_host_and_port("http://h:99999/", host, port));
  EXPECT_FALSE(callback_host_and_port("ftp://h/", host, port));
}

}  // namespace
}  // namespace qgate
