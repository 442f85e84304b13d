#include "gates/sql_tables.hpp"

#include <algorithm>
#include <cctype>

namespace qgate {
namespace {

struct Token {
  enum class Kind { word, quoted, punct };
  Kind kind = Kind::punct;
  std::string text;
  int line = 0;
};

bool is_word_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return std::isalnum(byte) != 0 || c == '_' || c == '$' || byte >= 0x80;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

// Skips a quoted run starting at text[i] (the opening quote); a doubled closing
// quote and, as MySQL dumps write them, a backslash escape stay inside.
size_t skip_quoted(std::string_view text, size_t i, char close, bool backslash, int& line,
                   std::string* content) {
  for (++i; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (backslash && c == '\\' && i + 1 < text.size()) {
      ++i;
      continue;
    }
    if (c == close) {
      if (i + 1 < text.size() && text[i + 1] == close) {
        if (content != nullptr) *content += c;
        ++i;
        continue;
      }
      return i + 1;
    }
    if (content != nullptr) *content += c;
  }
  return text.size();
}

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  int line = 1;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
    } else if (text.substr(i, 2) == "--") {
      i = std::min(text.find('\n', i), text.size());
    } else if (text.substr(i, 2) == "/*") {
      int depth = 0;  // PostgreSQL lets block comments nest
      while (i < text.size()) {
        if (text.substr(i, 2) == "/*") {
          ++depth;
          i += 2;
        } else if (text.substr(i, 2) == "*/") {
          i += 2;
          if (--depth == 0) break;
        } else {
          if (text[i] == '\n') ++line;
          ++i;
        }
      }
    } else if (c == '\'') {
      i = skip_quoted(text, i, '\'', true, line, nullptr);
    } else if (c == '"' || c == '`' || c == '[') {
      Token token{Token::Kind::quoted, "", line};
      i = skip_quoted(text, i, c == '[' ? ']' : c, false, line, &token.text);
      tokens.push_back(std::move(token));
    } else if (is_word_char(c)) {
      const size_t start = i;
      while (i < text.size() && is_word_char(text[i])) ++i;
      tokens.push_back({Token::Kind::word, std::string(text.substr(start, i - start)), line});
    } else {
      tokens.push_back({Token::Kind::punct, std::string(1, c), line});
      ++i;
    }
  }
  return tokens;
}

bool is_keyword(const std::vector<Token>& tokens, size_t i, std::string_view keyword) {
  return i < tokens.size() && tokens[i].kind == Token::Kind::word &&
         lower(tokens[i].text) == keyword;
}

bool is_name(const std::vector<Token>& tokens, size_t i) {
  return i < tokens.size() && tokens[i].kind != Token::Kind::punct;
}

// Reads a possibly schema-qualified name at tokens[i]; returns its parts and moves `i` past it.
std::vector<std::string> read_name(const std::vector<Token>& tokens, size_t& i) {
  std::vector<std::string> parts;
  if (!is_name(tokens, i)) return parts;
  parts.push_back(tokens[i++].text);
  while (i + 1 < tokens.size() && tokens[i].text == "." && is_name(tokens, i + 1)) {
    parts.push_back(tokens[i + 1].text);
    i += 2;
  }
  return parts;
}

void skip_if_exists(const std::vector<Token>& tokens, size_t& i, bool with_not) {
  if (!is_keyword(tokens, i, "if")) return;
  if (with_not && is_keyword(tokens, i + 1, "not") && is_keyword(tokens, i + 2, "exists")) i += 3;
  if (!with_not && is_keyword(tokens, i + 1, "exists")) i += 2;
}

}  // namespace

void SqlTableCollector::add_file(std::string_view text, const std::string& file) {
  const std::vector<Token> tokens = tokenize(text);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind != Token::Kind::word) continue;
    const std::string keyword = lower(tokens[i].text);
    if (keyword == "create") {
      size_t j = i + 1;
      bool temporary = false;
      while (j < tokens.size() && tokens[j].kind == Token::Kind::word) {
        const std::string modifier = lower(tokens[j].text);
        if (modifier == "temp" || modifier == "temporary") {
          temporary = true;
        } else if (modifier != "or" && modifier != "replace" && modifier != "global" &&
                   modifier != "local" && modifier != "unlogged" && modifier != "virtual" &&
                   modifier != "external") {
          break;
        }
        ++j;
      }
      if (!is_keyword(tokens, j, "table")) continue;
      ++j;
      skip_if_exists(tokens, j, true);
      const std::vector<std::string> parts = read_name(tokens, j);
      if (parts.empty() || temporary) continue;
      const std::string key = lower(parts.back());
      if (by_key_.count(key) > 0) continue;  // IF NOT EXISTS repeated: the first one counts
      by_key_[key] = {parts.back(), parts.size() > 1 ? parts[parts.size() - 2] : "", file,
                      tokens[i].line};
      order_[key] = next_order_++;
    } else if (keyword == "drop" && is_keyword(tokens, i + 1, "table")) {
      size_t j = i + 2;
      skip_if_exists(tokens, j, false);
      while (true) {
        const std::vector<std::string> parts = read_name(tokens, j);
        if (parts.empty()) break;
        by_key_.erase(lower(parts.back()));
        if (j >= tokens.size() || tokens[j].text != ",") break;
        ++j;
      }
    } else if (keyword == "alter" && is_keyword(tokens, i + 1, "table")) {
      size_t j = i + 2;
      skip_if_exists(tokens, j, false);
      if (is_keyword(tokens, j, "only")) ++j;
      const std::vector<std::string> parts = read_name(tokens, j);
      if (parts.empty() || !is_keyword(tokens, j, "rename") || !is_keyword(tokens, j + 1, "to"))
        continue;
      j += 2;
      const std::vector<std::string> renamed = read_name(tokens, j);
      const auto old = by_key_.find(lower(parts.back()));
      if (renamed.empty() || old == by_key_.end()) continue;
      SqlTable table = old->second;
      by_key_.erase(old);
      table.name = renamed.back();  // the rename is where the current name is declared
      table.file = file;
      table.line = tokens[i].line;
      by_key_[lower(table.name)] = table;
      order_[lower(table.name)] = next_order_++;
    }
  }
}

std::vector<SqlTable> SqlTableCollector::tables() const {
  std::vector<std::pair<long, SqlTable>> ordered;
  for (const auto& [key, table] : by_key_) ordered.emplace_back(order_.at(key), table);
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<SqlTable> result;
  for (auto& [order, table] : ordered) result.push_back(std::move(table));
  return result;
}

}  // namespace qgate
