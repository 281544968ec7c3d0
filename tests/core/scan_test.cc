// The scanning kernels (libsexp/src/core/scan.h): each kernel on its own
// against a byte-at-a-time reference, then the whole reader under each
// kernel with strings that straddle SIMD blocks and escapes, quotes and
// control bytes at every offset of a block.
#include "core/scan.h"

#include "core/reader_paths.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sexp/sexp.h"
#include "test_util.h"

namespace sexp {
namespace {

std::vector<std::string> Kernels() {
  std::vector<std::string> names;
  for (const char* k : {"scalar", "avx2"}) {
    if (internal::ForceScanKernel(k)) names.push_back(k);
  }
  internal::ForceScanKernel("auto");
  return names;
}

class ScanKernelTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_TRUE(internal::ForceScanKernel(GetParam())); }
  void TearDown() override { internal::ForceScanKernel("auto"); }
};

const char* ReferenceFindStringSpecial(const char* p, const char* end) {
  while (p < end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
  return p;
}

TEST_P(ScanKernelTest, FindStringSpecialMatchesReference) {
  EXPECT_EQ(internal::ActiveScanKernel().name, GetParam());
  auto find = internal::ActiveScanKernel().find_string_special;
  // Every special byte at every position of buffers up to 100 bytes, with
  // high bytes and DEL (not special) as filler.
  for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\0'}) {
    for (size_t len = 0; len < 100; ++len) {
      for (size_t at = 0; at <= len; ++at) {
        std::string buf(len, 'a');
        for (size_t i = 0; i < len; i += 3) buf[i] = static_cast<char>(i % 2 ? 0xC3 : 0x7F);
        if (at < len) buf[at] = special;
        const char* b = buf.data();
        ASSERT_EQ(find(b, b + len) - b, ReferenceFindStringSpecial(b, b + len) - b)
            << "len " << len << " at " << at;
      }
    }
  }
}

TEST_P(ScanKernelTest, StringsStraddlingBlocksReadExactly) {
  for (size_t prefix = 0; prefix < 70; ++prefix) {
    for (size_t body = 0; body < 70; body += 7) {
      std::string s(body, 'x');
      std::string text = std::string(prefix, ' ') + "(\"" + s + "\" \"" + s + "\\n\")";
      auto doc = ReadOne(text);
      ASSERT_TRUE(doc.ok()) << doc.error().ToString();
      EXPECT_EQ(doc->roots()[0][0].str(), s);
      EXPECT_EQ(doc->roots()[0][1].str(), s + "\n");
    }
  }
}

TEST_P(ScanKernelTest, EscapesAndErrorsAtEveryBlockOffset) {
  for (size_t pad = 0; pad < 80; ++pad) {
    std::string filler(pad, 'y');
    // An escape at offset pad of the body.
    auto esc = ReadOne("\"" + filler + "\\\"\\u00e9\\ud83c\\udf39" + filler + "\"");
    ASSERT_TRUE(esc.ok()) << pad;
    EXPECT_EQ(esc->roots()[0].str(), filler + "\"\xC3\xA9\xF0\x9F\x8C\xB9" + filler);
    // A control byte at offset pad: invalid-character at exactly its column.
    auto ctl = ReadOne("\"" + filler + "\x02" + "zz\"");
    ASSERT_FALSE(ctl.ok());
    EXPECT_EQ(ctl.error().code, ErrorCode::kInvalidCharacter);
    EXPECT_EQ(ctl.error().column, pad + 2);
    // Raw newline and tab are allowed and kept.
    auto raw = ReadOne("\"" + filler + "\n\t" + filler + "\"");
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(raw->roots()[0].str(), filler + "\n\t" + filler);
    // Truncated inside or right after a block.
    auto eof = ReadOne("\"" + filler);
    ASSERT_FALSE(eof.ok());
    EXPECT_EQ(eof.error().code, ErrorCode::kUnexpectedEof);
  }
}

TEST_P(ScanKernelTest, SpecVectorsAndRoundTripsUnderThisKernel) {
  // A multi-line document with every kind of node, read under this kernel,
  // must canonicalise exactly as it does under the default one.
  std::string text;
  for (int i = 0; i < 50; ++i) {
    text += "(Note :id \"https://example.com/" + std::to_string(i) + "\" :summary \"caf\xC3\xA9 "
            "\\u6771\\u4eac \\\"q\\\" " + std::string(i, 'w') + "\" :n " + std::to_string(i) +
            " :f 1.5 :b #b64\"AAEC\" (p \"" + std::string(i % 40, 'z') + "\"))\n";
  }
  std::string under_kernel = testing::CanonAll(text);
  internal::ForceScanKernel("auto");
  std::string reference = testing::CanonAll(text);
  EXPECT_EQ(under_kernel, reference);
  EXPECT_EQ(under_kernel.find("ERROR"), std::string::npos);
}

TEST_P(ScanKernelTest, WriterEscapesEveryByteAtEveryBlockOffset) {
  // Strings built in code are scanned by the writer with this kernel: each
  // byte that needs escaping, at every offset around the 32-byte blocks,
  // must come out exactly as a byte-at-a-time escaper writes it
  // (testing::PlainQuoted).
  for (char special : {'"', '\\', '\n', '\t', '\r', '\x01', '\x1f', '\0'}) {
    for (size_t len = 1; len < 80; ++len) {
      for (size_t at = 0; at < len; at += (len > 40 ? 3 : 1)) {
        std::string s(len, 'a');
        s[len - 1] = '\x7f';
        s[at] = special;
        Builder b;
        Node n = b.String(s);
        auto doc = b.Finish({n});
        ASSERT_TRUE(doc.ok());
        auto text = Canonical(doc->roots()[0]);
        ASSERT_TRUE(text.ok());
        ASSERT_EQ(*text, testing::PlainQuoted(s)) << "len " << len << " at " << at;
      }
    }
  }
}

std::string ReferenceEscapeHtml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

TEST_P(ScanKernelTest, EscapeHtmlMatchesReference) {
  auto escape = internal::ActiveScanKernel().escape_html;
  // Each byte to escape, and bytes that share its low nibble or differ only
  // in the high bit (the AVX2 table's edge cases), at every offset of texts
  // up to 100 bytes, over a filler of every other byte value.
  const char specials[] = {'&', '<', '>', '"', '\'', '\x06', '\x16', '\x36', '\x2c',
                           '\xa6', '\xbc', '\x80', '\0',   '\x02', '\x3e' - 0x10};
  for (char special : specials) {
    for (size_t len = 0; len <= 100; ++len) {
      for (size_t at = 0; at <= len; ++at) {
        std::string text(len, 'a');
        for (size_t i = 0; i < len; i += 3) text[i] = static_cast<char>(0x20 + (i * 7) % 0xdf);
        if (at < len) text[at] = special;
        std::string out(6 * len + 32, '\0');
        char* end = escape(out.data(), text.data(), text.size());
        ASSERT_EQ(std::string(out.data(), end), ReferenceEscapeHtml(text))
            << "len " << len << " at " << at;
      }
    }
  }
}

TEST_P(ScanKernelTest, EscapeHtmlNeverReadsAcrossThePageAfterTheText) {
  // Texts ending at every distance before an inaccessible page: the SIMD
  // loads stay within the text's own page (no fault), and the bytes past
  // the end are ignored.
  const long page = sysconf(_SC_PAGESIZE);
  char* map = static_cast<char*>(
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(map, MAP_FAILED);
  ASSERT_EQ(mprotect(map + page, page, PROT_NONE), 0);
  auto escape = internal::ActiveScanKernel().escape_html;
  for (size_t len = 0; len <= 80; ++len) {
    char* text = map + page - len;
    for (size_t i = 0; i < len; ++i) text[i] = "a<b&c\"d'e>"[i % 10];
    std::string out(6 * len + 32, '\0');
    char* end = escape(out.data(), text, len);
    ASSERT_EQ(std::string(out.data(), end), ReferenceEscapeHtml(std::string_view(text, len)))
        << len;
  }
  munmap(map, 2 * page);
}

INSTANTIATE_TEST_SUITE_P(Kernels, ScanKernelTest, ::testing::ValuesIn(Kernels()),
                         [](const auto& kernel) { return kernel.param; });

TEST(Scan, ValidatedAndCheckingReadersAgree) {
  // Valid UTF-8 takes the validated fast path; the same document with one
  // invalid byte at the very end takes the checking path, and must read
  // identically up to that byte.
  std::string text = "(a \"caf\xC3\xA9\" :k \xE6\x9D\xB1 ; \xF0\x9F\x8C\xB9\n (b))";
  auto fast = Read(text);
  ASSERT_TRUE(fast.ok());
  auto slow = Read(text + " \xFF");
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, ErrorCode::kInvalidUtf8);
  EXPECT_EQ(slow.error().offset, text.size() + 1);
  EXPECT_TRUE(internal::IsValidUtf8Fast(text));
  EXPECT_FALSE(internal::IsValidUtf8Fast(text + "\xFF"));
}

// ---------------------------------------------------------------------------
// The reader's paths (reader_paths.h): the validated fast loop, with SSE2 or
// with the class table, must read every text exactly as the checking reader
// does — the same nodes, flags and offsets, or the same error.

// Checks that every path reads `text` as the checking reader does (the same
// success, error text, nodes, flags and offsets); returns that reader's result.
Result<Document> ReadAllPathsAgree(const std::string& text) {
  ReadOptions options;
  options.max_depth = 64;
  EXPECT_EQ(internal::ReaderPathsDisagree(text, options), "") << "on: " << text;
  return internal::ReadVia(internal::ReaderPath::kChecking, text, options);
}

// Padding that keeps the text under test away from the end of the input (the
// fast loop leaves the last 32 bytes to the general one).
const std::string kTail(40, ' ');

TEST(ReaderPaths, IntegersAtEveryBoundary) {
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  std::vector<int64_t> values = {0, 1, -1, 9, 10, 99, kMax, kMin, kMax - 1, kMin + 1};
  for (int64_t p = 1, d = 1; d <= 18; ++d, p *= 10) {
    for (int64_t v : {p - 1, p, p + 1, 10 * p - 1}) {
      values.push_back(v);
      values.push_back(-v);
    }
  }
  for (int64_t v : values) {
    for (size_t pad = 0; pad < 20; ++pad) {
      std::string text = "(" + std::string(pad + 1, 'a') + " " + std::to_string(v) + ")" + kTail;
      auto doc = ReadAllPathsAgree(text);
      ASSERT_TRUE(doc.ok()) << text;
      ASSERT_EQ(doc->roots()[0][1].as_int(), v) << text;
    }
  }
  // One past either end, 20 digits, and forms that are not plain integers.
  for (std::string bad : {"9223372036854775808", "-9223372036854775809", "18446744073709551616",
                          "00", "-01", "12x", "1-2", "0x10", "1e400"}) {
    std::string text = "(n " + bad + ")" + kTail;
    auto doc = ReadAllPathsAgree(text);
    EXPECT_FALSE(doc.ok()) << text;
  }
  for (std::string good : {"1.5", "-0.25", "1e10", "2E-3", "-0", "0"}) {
    EXPECT_TRUE(ReadAllPathsAgree("(n " + good + ")" + kTail).ok()) << good;
  }
}

TEST(ReaderPaths, TokensStraddlingBlocksAndTheTail) {
  // Symbols and keywords of every length up to 40 at every offset of a
  // 16-byte block, and near the end of the input, where the fast loop hands
  // over to the general one.
  for (size_t len = 1; len <= 40; ++len) {
    std::string name;
    for (size_t i = 0; i < len; ++i) name += static_cast<char>('a' + (i * 7 + len) % 26);
    for (size_t pad = 0; pad < 18; ++pad) {
      for (const std::string& tail : {kTail, std::string(pad, ' ')}) {
        std::string text = std::string(pad, ' ') + "(" + name + " :" + name + " " + name +
                           ")" + tail;
        auto doc = ReadAllPathsAgree(text);
        ASSERT_TRUE(doc.ok()) << text;
        const Node& list = doc->roots()[0];
        EXPECT_TRUE(list[0].is_symbol(name));
        EXPECT_EQ(list[1].name(), name);
        EXPECT_EQ(list[0].atom(), list[2].atom());  // interned once
      }
    }
  }
  // Literals and their near misses.
  for (std::string word : {"true", "false", "nil", "tru", "truex", "falsey", "ni", "nil?",
                           "True", "-", "-x", ":", "::k", "+1", "a#b", "#t", "#f"}) {
    ReadAllPathsAgree("(" + word + " " + word + ")" + kTail);
  }
}

TEST(ReaderPaths, TokensEndedByEveryByte) {
  // Every byte value right after a token, a number and a string: delimiters
  // end them; control bytes, DEL, U+FEFF and invalid UTF-8 are errors at
  // their exact offset; other bytes continue the token.
  for (int b = 0; b < 256; ++b) {
    std::string c(1, static_cast<char>(b));
    ReadAllPathsAgree("(abc" + c + "def \"s\"" + c + " x)" + kTail);
    ReadAllPathsAgree("(:kw" + c + " 12" + c + ")" + kTail);
  }
  for (std::string seq : {"\xC3\xA9", "\xE6\x9D\xB1", "\xF0\x9F\x8C\xB9", "\xEF\xBB\xBF"}) {
    ReadAllPathsAgree("(abc" + seq + "def " + seq + "x :k" + seq + ")" + kTail);
  }
}

TEST(ReaderPaths, SugarWaitingPastADatumComment) {
  // The datum comment takes (a b); the quote then waits for c, which the
  // fast loop must hand to the general one rather than push bare.
  for (std::string text : {"(x '#;(a b) c d)", "(x `#;[a] #;(b) c)", "(x ,@#;(a) c)"}) {
    auto doc = ReadAllPathsAgree(text + kTail);
    ASSERT_TRUE(doc.ok()) << text;
    const Node& second = doc->roots()[0][1];
    ASSERT_TRUE(second.is_list()) << text;
    EXPECT_TRUE(second.flags() & Node::kFlagSugar) << text;
    EXPECT_TRUE(second[1].is_symbol("c")) << text;
  }
}

// Random documents built from the constructs the fast loop handles and the
// ones it hands back (comments, sugar, #, escapes, dicts, non-ASCII).
std::string RandomDocument(std::mt19937_64& rng) {
  static const char* const kAtoms[] = {
      "a", "div", "Note", "attributed-to", ":id", ":attributed-to", ":x", "true", "false",
      "nil", "-", "+", "0", "-7", "42", "123456789012345678", "9223372036854775807",
      "1.5", "-2e3", "caf\xC3\xA9", "~card", "a.b/c", "#t", "#f", "#b64\"AAEC\"",
      "exactly-16-bytes", "seventeen-bytes-x", ":key-of-sixteen-", "\"\"", "\"plain string\"",
      "\"esc \\\" \\\\ \\n \\u00e9 \\ud83c\\udf39\"", "\"raw\ttab\"",
      "\"a string that is longer than thirty-two bytes for sure\""};
  static const char* const kSpace[] = {" ", " ", " ", "\n  ", "\t", "  ", " ; note\n", "\r\n"};
  auto pick = [&rng](const auto& arr) {
    return std::string(arr[rng() % (sizeof(arr) / sizeof(arr[0]))]);
  };
  std::string out;
  std::vector<char> closers;
  std::vector<int> counts;  // elements so far in each open container
  size_t target = 40 + rng() % 400;
  while (out.size() < target || !closers.empty()) {
    unsigned r = rng() % 16;
    if (out.size() >= target) r = 15;
    bool in_dict = !closers.empty() && closers.back() == '}';
    if (r < 2 && closers.size() < 20 && !(in_dict && counts.back() % 2 == 0)) {
      out += "([{"[rng() % 3];
      closers.push_back(out.back() == '(' ? ')' : out.back() == '[' ? ']' : '}');
      counts.push_back(0);
    } else if (r == 2 && !in_dict) {
      out += rng() % 3 == 0 ? "'" : rng() % 2 ? "#;" : ",@";
      continue;  // sugar and datum comments take the next datum
    } else if (r >= 14 && !closers.empty()) {
      if (in_dict && counts.back() % 2 == 1) out += " 0";
      out += closers.back();
      closers.pop_back();
      counts.pop_back();
    } else if (in_dict && counts.back() % 2 == 0) {
      out += ":k" + std::to_string(counts.back());
    } else {
      out += pick(kAtoms);
    }
    if (!counts.empty() && out.back() != '(' && out.back() != '[' && out.back() != '{') {
      ++counts.back();
    }
    out += pick(kSpace);
  }
  return out;
}

TEST(ReaderPaths, AgreeOnRandomDocumentsAndTheirDamage) {
  std::mt19937_64 rng(20261121);
  int valid = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = RandomDocument(rng);
    if (ReadAllPathsAgree(text).ok()) ++valid;
    // Truncated anywhere, and one byte changed anywhere.
    ReadAllPathsAgree(text.substr(0, rng() % (text.size() + 1)));
    std::string changed = text;
    changed[rng() % changed.size()] = static_cast<char>(rng() % 128);
    ReadAllPathsAgree(changed);
  }
  EXPECT_GT(valid, 2000);  // the generator mostly makes valid documents
}

}  // namespace
}  // namespace sexp
