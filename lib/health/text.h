#pragma once
// Small ASCII helpers shared by the protocol dialogues.
#include <cctype>
#include <string_view>

namespace lvs::health::text {

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

inline bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// The first space-separated word of `s`, and `s` advanced past it and its spaces.
inline std::string_view next_word(std::string_view& s) {
  auto start = s.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    s = {};
    return {};
  }
  s.remove_prefix(start);
  auto end = s.find(' ');
  auto word = s.substr(0, end);
  s.remove_prefix(end == std::string_view::npos ? s.size() : end);
  return word;
}

// True when `words` (space-separated) holds `word`, ignoring case.
inline bool has_word(std::string_view words, std::string_view word) {
  while (!words.empty()) {
    if (iequals(next_word(words), word)) return true;
  }
  return false;
}

}  // namespace lvs::health::text
