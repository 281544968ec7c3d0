// The format specs of the `format` primitive (format_spec.h).
#include "eval/format_spec.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/strutil.h"

namespace sexp::eval_internal {
namespace {

using internal::AV;

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The first `n` code points of `s`.
std::string_view Utf8Prefix(std::string_view s, size_t n) {
  size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == 0) break;
      --n;
    }
  }
  return s.substr(0, i);
}

size_t Utf8CharLength(std::string_view s) {
  size_t i = 1;
  while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  return i;
}

bool IsAlign(char c) { return c == '<' || c == '>' || c == '^' || c == '='; }

// "1234567" → "1,234,567" (digits only).
std::string Grouped(std::string_view digits) {
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  size_t lead = digits.size() % 3;
  if (lead == 0) lead = 3;
  out.append(digits.substr(0, lead));
  for (size_t i = lead; i < digits.size(); i += 3) {
    out += ',';
    out.append(digits.substr(i, 3));
  }
  return out;
}

}  // namespace

bool ParseFormatSpec(std::string_view text, FormatSpec* spec, std::string* error) {
  size_t i = 0;
  auto fail = [&](std::string_view why) {
    *error = absl::StrCat("bad format spec '", AV(text), "': ", AV(why));
    return false;
  };
  if (!text.empty()) {
    size_t first = Utf8CharLength(text);
    if (first < text.size() && IsAlign(text[first])) {
      spec->fill = std::string(text.substr(0, first));
      spec->align = text[first];
      i = first + 1;
    } else if (IsAlign(text[0])) {
      spec->align = text[0];
      i = 1;
    }
  }
  if (i < text.size() && (text[i] == '+' || text[i] == '-' || text[i] == ' ')) spec->sign = text[i++];
  if (i < text.size() && text[i] == '0') {
    if (spec->align == 0) {
      spec->fill = "0";
      spec->align = '=';
    }
    ++i;
  }
  uint64_t width = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    width = width * 10 + static_cast<uint64_t>(text[i++] - '0');
    if (width > kMaxFormatWidth) return fail(absl::StrCat("width over ", kMaxFormatWidth));
  }
  spec->width = static_cast<uint32_t>(width);
  if (i < text.size() && text[i] == ',') {
    spec->group = true;
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    int64_t precision = 0;
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      precision = precision * 10 + (text[i++] - '0');
      if (precision > kMaxFormatPrecision) {
        return fail(absl::StrCat("precision over ", kMaxFormatPrecision));
      }
    }
    if (i == start) return fail("a '.' without a precision");
    spec->precision = static_cast<int32_t>(precision);
  }
  if (i < text.size()) {
    char t = text[i++];
    if (t != 'd' && t != 'f' && t != 'e' && t != '%' && t != 's') {
      return fail(absl::StrCat("unknown type '", AV(std::string_view(&t, 1)),
                               "' (d, f, e, %, s)"));
    }
    spec->type = t;
  }
  if (i != text.size()) return fail("text after the type");
  return true;
}

bool AppendFormatted(const FormatSpec& spec, const Value& value, std::string_view display,
                     std::string* out, std::string* error) {
  const bool number = value.is_int() || value.is_float();
  char type = spec.type;
  if (type == 0 && number && spec.precision >= 0) {
    // Python reads this as 'g' (significant digits): say which is meant.
    *error = "a precision on a number needs a type: f (decimals), e or %";
    return false;
  }
  if (type == 0 && value.is_int() && spec.group) type = 'd';

  std::string body;      // the digits (or text), without the sign
  std::string sign;      // "-", "+", " " or ""
  if (type == 'd' || type == 'f' || type == 'e' || type == '%') {
    if (!number) {
      *error = absl::StrCat("format type '", AV(std::string_view(&type, 1)), "' needs a number");
      return false;
    }
    if (type == 'd' && !value.is_int()) {
      *error = "format type 'd' needs an integer (use f for other numbers)";
      return false;
    }
    bool negative;
    if (type == 'd') {
      int64_t n = value.as_int();
      negative = n < 0;
      uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
      body = absl::StrCat(magnitude);
      if (spec.group) body = Grouped(body);
    } else {
      double d = value.is_int() ? static_cast<double>(value.as_int()) : value.as_float();
      if (type == '%') d *= 100;
      negative = std::signbit(d) && !std::isnan(d);
      double magnitude = std::fabs(d);
      int precision = spec.precision >= 0 ? spec.precision : 6;
      char buffer[512];  // 309 digits of the largest double, a point, 100 decimals
      std::snprintf(buffer, sizeof buffer, type == 'e' ? "%.*e" : "%.*f", precision, magnitude);
      body = buffer;
      if (spec.group && type != 'e' && std::isfinite(magnitude)) {
        size_t point = body.find('.');
        std::string_view integer = std::string_view(body).substr(0, point);
        body = Grouped(integer) + (point == std::string::npos ? "" : body.substr(point));
      }
      if (type == '%') body += '%';
    }
    if (negative) {
      sign = "-";
    } else if (spec.sign == '+') {
      sign = "+";
    } else if (spec.sign == ' ') {
      sign = " ";
    }
  } else {
    body = std::string(display);
    if (spec.precision >= 0 && !number) {
      body = std::string(Utf8Prefix(body, static_cast<size_t>(spec.precision)));
    }
    if (number && !body.empty() && body[0] == '-') {
      sign = "-";
      body.erase(0, 1);
    } else if (number && spec.sign == '+') {
      sign = "+";
    } else if (number && spec.sign == ' ') {
      sign = " ";
    }
    if (number && spec.group) {  // a float as displayed, its integer digits grouped
      size_t end = body.find_first_not_of("0123456789");
      if (end == std::string::npos || body[end] == '.') {
        std::string_view digits = std::string_view(body).substr(0, end);
        body = Grouped(digits) + (end == std::string::npos ? "" : body.substr(end));
      }
    }
  }

  const size_t length = Utf8Length(sign) + Utf8Length(body);
  const size_t pad = spec.width > length ? spec.width - length : 0;
  char align = spec.align != 0 ? spec.align : (number ? '>' : '<');
  if (align == '=' && !number) align = '>';
  auto fill = [&](size_t n) {
    for (size_t k = 0; k < n; ++k) out->append(spec.fill);
  };
  switch (align) {
    case '<': out->append(sign); out->append(body); fill(pad); break;
    case '^': fill(pad / 2); out->append(sign); out->append(body); fill(pad - pad / 2); break;
    case '=': out->append(sign); fill(pad); out->append(body); break;
    default: fill(pad); out->append(sign); out->append(body); break;
  }
  return true;
}

bool FormatDate(std::string_view when, std::string_view pattern, std::string* out,
                std::string* error) {
  const std::string text(when);
  absl::Time time;
  std::string why;
  int offset_seconds = 0;
  if (text.size() == 10) {  // a date alone: midnight UTC
    if (!absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &time, &why)) {
      *error = absl::StrCat("format-date: '", text, "' is not a date (", why, ")");
      return false;
    }
  } else {
    // RFC 3339; its offset is kept for the output (absl parses to an
    // absolute time and would forget it).
    if (!absl::ParseTime(absl::RFC3339_full, text, &time, &why)) {
      *error = absl::StrCat("format-date: '", text,
                            "' is not an ISO 8601 date-time with an offset (", why, ")");
      return false;
    }
    if (text.size() >= 6 && (text[text.size() - 6] == '+' || text[text.size() - 6] == '-') &&
        text[text.size() - 3] == ':') {
      int hours = (text[text.size() - 5] - '0') * 10 + (text[text.size() - 4] - '0');
      int minutes = (text[text.size() - 2] - '0') * 10 + (text[text.size() - 1] - '0');
      offset_seconds = (hours * 60 + minutes) * 60 * (text[text.size() - 6] == '-' ? -1 : 1);
    }
  }
  out->append(absl::FormatTime(std::string(pattern), time,
                               absl::FixedTimeZone(offset_seconds)));
  return true;
}

}  // namespace sexp::eval_internal
