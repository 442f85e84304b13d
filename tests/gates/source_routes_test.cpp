// Route scanning of source files that hold what real modules hold: a 400 KB
// string literal (an embedded blob), a line of 10 MB, a file of 50 MB in one
// line. Nothing a module contains may crash qgate or make its memory grow
// with what it reads.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "gates/api_routes.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

// `bytes` hex digits, as a firmware image or a hash table is embedded.
std::string hex_blob(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string blob(bytes, '0');
  unsigned state = 12345;
  for (char& c : blob) {
    state = state * 1103515245u + 12345u;
    c = kHex[(state >> 16) & 0xF];
  }
  return blob;
}

std::vector<std::string> described(const std::vector<DeclaredRoute>& routes) {
  std::vector<std::string> out;
  for (const auto& route : routes) {
    out.push_back(route.method + " " + route.path + " " + std::to_string(route.line));
  }
  return out;
}

// A line that mentions Route and calls something, with a 400 KB run of word
// characters: std::regex's backtracking recursed once per character there
// and overflowed the stack (SIGSEGV).
const std::string kPythonWithBlob =
    "from flask import Flask\napp = Flask(__name__)\n\n"
    "@app.get(\"/health\")\ndef health():\n    return \"ok\"\n\n"
    "RouteTable = bytes.fromhex(\"" +
    hex_blob(400 * 1024) + "\")\n\n@app.post(\"/items\")\ndef add():\n    return \"\"\n";

TEST(SourceRoutes, ALineWithA400KbLiteralIsScannedAndTheRoutesAroundItFound) {
  EXPECT_EQ(described(scan_source_routes(kPythonWithBlob, "app.py")),
            (std::vector<std::string>{"GET /health 4", "POST /items 10"}));
  const std::string blob = hex_blob(400 * 1024);
  const std::string js =
      "const express = require('express');\nconst app = express();\n"
      "app.get('/logo', (req, res) => res.send(Buffer.from('" +
      blob + "', 'hex')));\nrouter.route('/x" + blob + "').get(h);\n";
  EXPECT_EQ(described(scan_source_routes(js, "server.js")),
            (std::vector<std::string>{"GET /logo 3", "GET /x" + blob + " 4"}));
  const std::string go = "package main\n\nvar table = \"" + blob +
                         "\"\n\nfunc main() {\n\thttp.HandleFunc(\"/ping\", ping)\n"
                         "\tr.GET(\"/" +
                         blob + "\", h)\n}\n";
  EXPECT_EQ(described(scan_source_routes(go, "main.go")),
            (std::vector<std::string>{" /ping 6", "GET /" + blob + " 7"}));
  EXPECT_TRUE(scan_route_mounts(kPythonWithBlob, "app.py").empty());
}

TEST(SourceRoutes, ALineOfTenMegabytesIsScannedInLinearTime) {
  // Every route pattern gets a try on this line: it starts with a decorator,
  // calls, imports and mentions Route, APIRouter and Blueprint.
  const std::string line =
      "@app.route(\"/big\", methods=[\"PUT\"]) # Route APIRouter Blueprint "
      "import include_router(" +
      hex_blob(10 * 1000 * 1000) + ")\ndef big():\n    pass\n";
  EXPECT_EQ(described(scan_source_routes(line, "big.py")), std::vector<std::string>{"PUT /big 1"});
  EXPECT_TRUE(scan_route_mounts(line, "big.py").empty());
  const std::string js = "app.use('/v1', require('./" + hex_blob(10 * 1000 * 1000) + "'));\n";
  EXPECT_EQ(scan_route_mounts(js, "app.js").size(), 1u);
}

// Writes `bytes` of `text` repeated, with no newline, to `path`, without
// holding it in memory.
void write_one_line(const fs::path& path, const std::string& head, std::size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  out << head;
  const std::string chunk = hex_blob(1 << 20);
  for (std::size_t written = head.size(); written < bytes; written += chunk.size()) {
    out.write(chunk.data(), static_cast<std::streamsize>(std::min(chunk.size(), bytes - written)));
  }
}

TEST(SourceRoutes, CheckJudgesAModuleOfHugeLinesWithBoundedMemory) {
  TempDir dir;
  write_file(dir / "app.py", kPythonWithBlob);
  // 10 MB on one line (under the secret scan's 10 MiB limit, so it is read),
  // and 50 MB in one line: generated bundles.
  write_one_line(dir / "src/bundle.js", "app.get('/bundle', send); const data = '",
                 10 * 1000 * 1000);
  write_one_line(dir / "src/huge.py", "RouteTable = bytes.fromhex('", 50 * 1000 * 1000);
  write_file(dir / "API.md", "# API\n\n## GET /health\n\nHealth.\n\n## POST /items\n\nAdds.\n");
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n"
             "  documentation: [ {api_documentation_updated: true} ]\n"
             "  testing: [ {security_scan_clean: true} ]\n");
  // GNU time measures qgate alone (see Cli.StepPrintingOneGigabyteKeepsMemoryLow).
  const auto result = run_command(
      "/usr/bin/time -f 'peak_rss_kb=%M' '" + testing::qgate_binary().string() + "' check --ci",
      dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output, std::regex("api_documentation_updated +documentation +yes +passed")))
      << result.output;
  EXPECT_TRUE(
      std::regex_search(result.output, std::regex("security_scan_clean +security +yes +passed")))
      << result.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(result.output, match, std::regex("peak_rss_kb=([0-9]+)")))
      << result.output;
  const long peak_kb = std::stol(match[1].str());
  std::cout << "peak RSS of qgate check on 400 KB, 10 MB and 50 MB lines: " << peak_kb << " KB\n";
  EXPECT_LT(peak_kb, 40 * 1024);  // less than the 50 MB file: it is never read whole
}

}  // namespace
}  // namespace qgate
