#pragma once
// Every text of the result model, reached without naming its fields: the one
// pass that makes what steps and reports produced fit to print and store.
#include <boost/pfr.hpp>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "runner/core/secret_masker.hpp"
#include "runner/core/utf8_text.hpp"

namespace qgate {

namespace detail {
template <typename T>
struct is_vector : std::false_type {};
template <typename T, typename A>
struct is_vector<std::vector<T, A>> : std::true_type {};
}  // namespace detail

// Calls `visit(std::string&)` on every string in `value`: a string, a vector,
// or a struct of the result model (any aggregate: RunResult, GateResult,
// Finding, CheckOutcome, ...), whose fields Boost.PFR lists, so that a field
// added later is visited too. A field of a type it does not know is a
// compile error rather than a text left out.
template <typename T, typename Visit>
void for_each_text(T& value, Visit& visit) {
  if constexpr (std::is_same_v<T, std::string>) {
    visit(value);
  } else if constexpr (detail::is_vector<T>::value) {
    for (auto& element : value) for_each_text(element, visit);
  } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
    // figures, flags and states hold no text
  } else {
    static_assert(std::is_aggregate_v<T>, "for_each_text: a field of a type it cannot walk");
    boost::pfr::for_each_field(value, [&](auto& field) { for_each_text(field, visit); });
  }
}

// Replaces every text of `value` by to_storable_text of it: valid UTF-8
// without NUL, which PostgreSQL requires and SQLite keeps the same.
template <typename T>
void make_storable(T& value) {
  auto visit = [](std::string& text) { text = to_storable_text(text); };
  for_each_text(value, visit);
}

// Returns a copy of `value` with every text made storable (make_storable).
template <typename T>
T storable_copy(const T& value) {
  T copy = value;
  make_storable(copy);
  return copy;
}

// Masks the secrets of `masker` in every text of `value` and makes each
// storable: the pass that what steps, built-in checks and reports produced
// goes through as it enters the run, so that nothing printed, stored or sent
// holds a secret or a byte a store refuses, whatever field it landed in.
//
// Each text is also cut to kMaxResultText bytes (after masking, so that no
// part of a secret survives the cut), with a note of how much was left out:
// a tool's 200 MB message would otherwise be copied by every reporter and
// store.
inline constexpr std::size_t kMaxResultText = 64 * 1024;

template <typename T>
void clean_texts(T& value, const SecretMasker& masker) {
  auto visit = [&](std::string& text) {
    std::string masked = masker.mask(text);
    cut_with_note(masked, kMaxResultText);
    text = to_storable_text(masked);
  };
  for_each_text(value, visit);
}

}  // namespace qgate
