#pragma once
// The tables a module's SQL creates: CREATE TABLE statements read token by
// token, so comments, string literals and quoting never confuse them.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace qgate {

// One table a module's SQL creates.
struct SqlTable {
  std::string name;    // as written, unquoted, without its schema: "users"
  std::string schema;  // "public" for public.users; empty when not given
  std::string file;    // relative to the module folder
  int line = 0;        // 1-based line of its CREATE TABLE
};

// Collects tables over a module's SQL files, read in migration order.
class SqlTableCollector {
 public:
  // Reads the SQL `text` of `file`: CREATE TABLE adds a table (temporary ones
  // excepted), DROP TABLE removes it, ALTER TABLE ... RENAME TO renames it.
  void add_file(std::string_view text, const std::string& file);
  // Returns the tables that remain, in order of creation.
  std::vector<SqlTable> tables() const;

 private:
  std::map<std::string, SqlTable> by_key_;  // lower-case name -> table
  std::map<std::string, long> order_;       // lower-case name -> creation order
  long next_order_ = 0;
};

}  // namespace qgate
