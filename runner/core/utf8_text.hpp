#pragma once
// UTF-8 repair for text that comes from outside (step output, report files,
// paths): JSON, XML, GitHub and PostgreSQL all reject invalid UTF-8.
#include <cstddef>
#include <string>
#include <string_view>

namespace qgate {

// The character written in place of a byte that is not UTF-8.
inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// Decodes the code point at `text[pos]`, advancing `pos`; an invalid sequence
// gives kReplacementCharacter and advances by one byte.
char32_t decode_utf8(std::string_view text, std::size_t& pos);
// Appends the UTF-8 encoding of `code` to `out`.
void append_code_point(std::string& out, char32_t code);

// Returns the length of the UTF-8 sequence that starts at `text[pos]` by its
// lead byte and continuation bytes (1 to 4), or 0 if none does there.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

// Returns `text` with every invalid UTF-8 sequence replaced by U+FFFD, because
// JSON, XML and GitHub all reject invalid UTF-8 and step output can be any bytes.
std::string to_valid_utf8(std::string_view text);
// Returns `text` as to_valid_utf8 does, with NUL bytes replaced by U+FFFD too:
// PostgreSQL's text holds no NUL, and both stores must keep the same text.
std::string to_storable_text(std::string_view text);

// Cuts `text` to at most `limit` bytes, back to the start of a UTF-8
// character, and notes how much was left out (with `left_out` bytes already
// left out before): "... [... 2097152 more bytes]". Unchanged when it fits
// and nothing was left out.
void cut_with_note(std::string& text, std::size_t limit, std::size_t left_out = 0);

}  // namespace qgate
