// Integers read from JSON that another program (or a user's editor) wrote. nlohmann's get<int>()
// converts a float or an out-of-range number with a plain cast, which is undefined behaviour for 1e300 or
// 3.5 into an int; these readers refuse such values with an exception the callers' parse errors report.
#pragma once

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>
#include <stdexcept>
#include <type_traits>

namespace deeper {

/// `value` as an Int: it must be a JSON integer (not 3.0) within Int's range. `what` names it in errors.
template <typename Int>
Int jsonInteger(const nlohmann::json &value, const char *what) {
  static_assert(std::is_integral_v<Int> && std::is_signed_v<Int>, "a signed integer type");
  constexpr int64_t least = std::numeric_limits<Int>::min(), most = std::numeric_limits<Int>::max();
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    int64_t v = value.get<int64_t>();
    if (v >= least && v <= most) return static_cast<Int>(v);
  } else if (value.is_number_unsigned() && value.get<uint64_t>() <= static_cast<uint64_t>(most)) {
    return static_cast<Int>(value.get<uint64_t>());
  }
  throw std::out_of_range(fmt::format("'{}' must be an integer in {}..{}, not {}", what, least, most, value.dump()));
}

/// Member `key` of `object` as an Int; `fallback` when it is absent.
template <typename Int>
Int jsonIntegerOr(const nlohmann::json &object, const char *key, Int fallback) {
  auto it = object.find(key);
  return it == object.end() ? fallback : jsonInteger<Int>(*it, key);
}

}  // namespace deeper
