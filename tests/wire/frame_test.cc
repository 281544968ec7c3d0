// The frame codec (sexp/wire/frame.h, spec/wire.md): varints at every size
// boundary against RFC 9000's examples, decoding under every chunking,
// and the hostile cases — oversize, non-shortest and truncated lengths.
#include "sexp/wire/frame.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sexp/sexp.h"

namespace sexp {
namespace {

std::string Varint(uint64_t n) {
  char buf[8];
  return std::string(buf, WriteVarint(n, buf));
}

std::vector<std::string> DecodeAll(const std::string& wire, const std::vector<size_t>& cuts,
                                   Error* error, const FrameOptions& options = {}) {
  FrameDecoder dec(options);
  std::vector<std::string> frames;
  size_t at = 0;
  for (size_t cut : cuts) {
    dec.Feed(std::string_view(wire).substr(at, cut - at));
    while (auto f = dec.Next()) frames.emplace_back(*f);
    at = cut;
  }
  dec.Feed(std::string_view(wire).substr(at));
  while (auto f = dec.Next()) frames.emplace_back(*f);
  *error = dec.Finish();
  return frames;
}

TEST(Frame, VarintsAreRfc9000s) {
  // RFC 9000 §A.1's examples (shortest forms).
  EXPECT_EQ(Varint(37), std::string("\x25", 1));
  EXPECT_EQ(Varint(15293), std::string("\x7b\xbd", 2));
  EXPECT_EQ(Varint(494878333), std::string("\x9d\x7f\x3e\x7d", 4));
  EXPECT_EQ(Varint(151288809941952652ull), std::string("\xc2\x19\x7c\x5e\xff\x14\xe8\x8c", 8));
  for (uint64_t n : {uint64_t{0}, uint64_t{63}, uint64_t{64}, uint64_t{16383}, uint64_t{16384},
                     (uint64_t{1} << 30) - 1, uint64_t{1} << 30, kMaxVarint}) {
    EXPECT_EQ(Varint(n).size(), VarintSize(n)) << n;
  }
  EXPECT_EQ(VarintSize(63), 1u);
  EXPECT_EQ(VarintSize(64), 2u);
  EXPECT_EQ(VarintSize(16384), 4u);
  EXPECT_EQ(VarintSize(uint64_t{1} << 30), 8u);
}

TEST(Frame, EncodeIsCanonicalFramed) {
  auto doc = ReadOne("(GET   \"/\"  :have nil)");
  ASSERT_TRUE(doc.ok());
  auto frame = EncodeFrame(doc->roots()[0]);
  ASSERT_TRUE(frame.ok());
  std::string canon = *Canonical(doc->roots()[0]);
  EXPECT_EQ(*frame, Varint(canon.size()) + canon);
  FrameDecoder dec;
  dec.Feed(*frame);
  auto f = dec.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(*f, canon);
  EXPECT_FALSE(dec.Next().has_value());
  EXPECT_TRUE(dec.Finish().ok());
  EXPECT_EQ(dec.offset(), frame->size());
}

TEST(Frame, AnyChunkingGivesTheSameFrames) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> sent;
    std::string wire;
    int count = std::uniform_int_distribution<int>(0, 6)(rng);
    for (int i = 0; i < count; ++i) {
      // Sizes around every varint boundary, and empty frames.
      size_t size = std::vector<size_t>{0, 1, 62, 63, 64, 65, 300, 16383, 16384, 70000}
                        [std::uniform_int_distribution<size_t>(0, 9)(rng)];
      std::string payload(size, '\0');
      for (char& c : payload) c = static_cast<char>(rng());
      sent.push_back(payload);
      AppendFrame(payload, &wire);
    }
    // One byte at a time for the small ones, random cuts for all.
    std::vector<size_t> cuts;
    if (wire.size() < 2000) {
      for (size_t i = 1; i < wire.size(); ++i) cuts.push_back(i);
    } else {
      for (size_t at = 0;;) {
        at += std::uniform_int_distribution<size_t>(1, 5000)(rng);
        if (at >= wire.size()) break;
        cuts.push_back(at);
      }
    }
    Error error;
    EXPECT_EQ(DecodeAll(wire, cuts, &error), sent) << "round " << round;
    EXPECT_TRUE(error.ok()) << error.ToString();
  }
}

TEST(Frame, OversizeIsRefusedWhenItsLengthIsRead) {
  FrameOptions small;
  small.max_frame_size = 100;
  FrameDecoder dec(small);
  std::string wire;
  AppendFrame("(ok)", &wire);
  AppendFrame(std::string(101, 'x'), &wire);
  // The first frame, then only the second's length: refused already.
  EXPECT_TRUE(dec.Feed(wire.substr(0, 5 + 2)));
  EXPECT_EQ(*dec.Next(), "(ok)");
  EXPECT_FALSE(dec.Next().has_value());
  EXPECT_TRUE(dec.failed());
  EXPECT_EQ(dec.error().code, ErrorCode::kFrameTooLarge);
  EXPECT_EQ(dec.error().offset, 5u);
  EXPECT_EQ(dec.error().message, "frame of 101 bytes is over the maximum of 100");
  EXPECT_EQ(dec.buffered(), 0u);
  EXPECT_FALSE(dec.Feed(wire.substr(7)));  // failed: nothing more is taken
  EXPECT_EQ(dec.Finish().code, ErrorCode::kFrameTooLarge);
  // The default maximum is 16 MiB: a length of 16 MiB + 1 fails at once.
  FrameDecoder big;
  EXPECT_FALSE(big.Feed(Varint(kDefaultMaxFrameSize + 1)));
  EXPECT_EQ(big.error().code, ErrorCode::kFrameTooLarge);
  EXPECT_FALSE(FrameDecoder().Feed(Varint(kMaxVarint)));
}

TEST(Frame, LengthsNotInTheirShortestFormAreRefused) {
  for (const std::string& bad : {std::string("\x40\x05", 2), std::string("\x80\x00\x00\x3f", 4),
                                 std::string("\xc0\x00\x00\x00\x00\x00\x40\x00", 8)}) {
    FrameDecoder dec;
    EXPECT_FALSE(dec.Feed(bad + "xxxxx"));
    EXPECT_EQ(dec.error().code, ErrorCode::kBadVarint);
    EXPECT_EQ(dec.error().offset, 0u);
  }
  FrameDecoder dec;
  dec.Feed(std::string("\x40\x05", 2));
  EXPECT_EQ(dec.error().message, "frame length 5 written in 2 bytes; its shortest form has 1");
}

TEST(Frame, TruncatedStreamsNameWhereTheyStopped) {
  std::string wire;
  AppendFrame("(a)", &wire);
  AppendFrame(std::string(200, 'y'), &wire);  // 2-byte length
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    Error error;
    std::vector<std::string> frames = DecodeAll(wire.substr(0, cut), {}, &error);
    if (cut == 0 || cut == 4 || cut == wire.size()) {
      EXPECT_TRUE(error.ok()) << cut << " " << error.ToString();
    } else {
      EXPECT_EQ(error.code, ErrorCode::kFrameTruncated) << cut;
      EXPECT_EQ(error.offset, cut < 4 ? 0u : 4u) << cut;
    }
    EXPECT_EQ(frames.size(), cut < 4 ? 0u : cut < wire.size() ? 1u : 2u) << cut;
  }
  FrameDecoder dec;
  dec.Feed(wire.substr(0, 5));
  dec.Next();
  EXPECT_EQ(dec.Finish().message, "the stream ended inside a frame's length (1 of 2 bytes)");
  FrameDecoder whole;
  whole.Feed(wire);
  EXPECT_EQ(whole.Finish().code, ErrorCode::kFrameTruncated);  // frames left untaken
}

TEST(Frame, BufferStaysBoundedOverALongStream) {
  FrameDecoder dec;
  std::string frame;
  AppendFrame(std::string(1000, 'z'), &frame);
  size_t most = 0;
  for (int i = 0; i < 10000; ++i) {
    dec.Feed(frame.substr(0, 400));
    dec.Feed(frame.substr(400));
    while (dec.Next()) {
    }
    most = std::max(most, dec.buffered());
  }
  EXPECT_EQ(dec.offset(), 10000u * frame.size());
  EXPECT_LT(most, 2 * frame.size());
  EXPECT_TRUE(dec.Finish().ok());
}

}  // namespace
}  // namespace sexp
