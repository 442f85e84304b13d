#include "runner/core/utf8_text.hpp"

namespace qgate {

void append_code_point(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

char32_t decode_utf8(std::string_view text, std::size_t& pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  std::size_t length = 0;
  char32_t code = 0;
  unsigned char low = 0x80;   // the allowed range of the second byte, which
  unsigned char high = 0xBF;  // excludes overlong forms and surrogates
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    ++pos;
    return kReplacementCharacter;
  }
  if (pos + length > text.size()) {
    ++pos;
    return kReplacementCharacter;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(pos + i);
    const unsigned char min = i == 1 ? low : 0x80;
    const unsigned char max = i == 1 ? high : 0xBF;
    if (next < min || next > max) {
      ++pos;
      return kReplacementCharacter;
    }
    code = (code << 6) | (next & 0x3F);
  }
  pos += length;
  return code;
}

namespace {

enum class Nul { kept, replaced };

std::string repaired(std::string_view text, Nul nul) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c == 0 && nul == Nul::replaced) {
      append_code_point(out, kReplacementCharacter);
      ++pos;
      continue;
    }
    if (c < 0x80) {
      out += text[pos++];
      continue;
    }
    const std::size_t start = pos;
    const char32_t code = decode_utf8(text, pos);
    if (code == kReplacementCharacter && pos == start + 1) {
      append_code_point(out, kReplacementCharacter);
    } else {
      out.append(text.substr(start, pos - start));
    }
  }
  return out;
}

}  // namespace

std::string to_valid_utf8(std::string_view text) { return repaired(text, Nul::kept); }

std::string to_storable_text(std::string_view text) { return repaired(text, Nul::replaced); }

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  const auto c = static_cast<unsigned char>(text[pos]);
  std::size_t length = 0;
  if (c < 0x80) {
    length = 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
  }
  if (length == 0 || pos + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[pos + k]) & 0xC0) != 0x80) return 0;
  }
  return length;
}

void cut_with_note(std::string& text, std::size_t limit, std::size_t left_out) {
  if (text.size() > limit) {
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    left_out += text.size() - cut;
    text.resize(cut);
  }
  if (left_out > 0) text += " [... " + std::to_string(left_out) + " more bytes]";
}

}  // namespace qgate
