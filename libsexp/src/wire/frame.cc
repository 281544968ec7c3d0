#include "sexp/wire/frame.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "sexp/core/writer.h"

namespace sexp {

size_t VarintSize(uint64_t n) {
  if (n < (uint64_t{1} << 6)) return 1;
  if (n < (uint64_t{1} << 14)) return 2;
  if (n < (uint64_t{1} << 30)) return 4;
  return 8;
}

char* WriteVarint(uint64_t n, char* out) {
  size_t size = VarintSize(n);
  // Big-endian, the top two bits of the first byte giving log2(size).
  uint8_t prefix = size == 1 ? 0x00 : size == 2 ? 0x40 : size == 4 ? 0x80 : 0xC0;
  for (size_t i = size; i-- > 0;) {
    out[i] = static_cast<char>(n & 0xFF);
    n >>= 8;
  }
  out[0] = static_cast<char>(static_cast<uint8_t>(out[0]) | prefix);
  return out + size;
}

void AppendFrame(std::string_view payload, std::string* out) {
  char header[8];
  char* end = WriteVarint(payload.size(), header);
  out->append(header, static_cast<size_t>(end - header));
  out->append(payload);
}

Result<std::string> EncodeFrame(const Node& node) {
  Result<std::string> text = Canonical(node);
  if (!text.ok()) return text.error();
  std::string frame;
  frame.reserve(VarintSize(text->size()) + text->size());
  AppendFrame(*text, &frame);
  return frame;
}

FrameDecoder::FrameDecoder(const FrameOptions& options) : options_(options) {}

void FrameDecoder::Fail(ErrorCode code, std::string message) {
  error_.code = code;
  error_.offset = consumed_;
  error_.message = std::move(message);
  buffer_.clear();
  read_ = 0;
}

bool FrameDecoder::Feed(std::string_view bytes) {
  if (failed()) return false;
  if (read_ > 0 && read_ >= buffer_.size() / 2) {  // drop what frames took
    buffer_.erase(0, read_);
    read_ = 0;
  }
  buffer_.append(bytes);
  // Check the pending frame's length at once, so an oversize frame is
  // refused before its body is buffered.
  size_t header_size = 0;
  uint64_t length = 0;
  Header(&header_size, &length);
  return !failed();
}

bool FrameDecoder::Header(size_t* header_size, uint64_t* length) {
  size_t available = buffer_.size() - read_;
  if (available == 0) return false;
  auto first = static_cast<uint8_t>(buffer_[read_]);
  size_t size = size_t{1} << (first >> 6);
  if (available < size) return false;
  uint64_t n = first & 0x3F;
  for (size_t i = 1; i < size; ++i) n = (n << 8) | static_cast<uint8_t>(buffer_[read_ + i]);
  if (VarintSize(n) != size) {
    Fail(ErrorCode::kBadVarint,
         absl::StrCat("frame length ", n, " written in ", size, " bytes; its shortest form has ",
                      VarintSize(n)));
    return false;
  }
  if (n > options_.max_frame_size) {
    Fail(ErrorCode::kFrameTooLarge, absl::StrCat("frame of ", n, " bytes is over the maximum of ",
                                                  options_.max_frame_size));
    return false;
  }
  *header_size = size;
  *length = n;
  return true;
}

std::optional<std::string_view> FrameDecoder::Next() {
  size_t header_size = 0;
  uint64_t length = 0;
  if (failed() || !Header(&header_size, &length)) return std::nullopt;
  if (buffer_.size() - read_ - header_size < length) return std::nullopt;
  std::string_view payload(buffer_.data() + read_ + header_size, static_cast<size_t>(length));
  read_ += header_size + static_cast<size_t>(length);
  consumed_ += header_size + length;
  return payload;  // (the next frame's length is checked by the next Feed or Next)
}

Error FrameDecoder::Finish() {
  if (failed()) return error_;
  size_t left = buffer_.size() - read_;
  if (left == 0) return Error();
  size_t header_size = 0;
  uint64_t length = 0;
  if (!Header(&header_size, &length)) {
    if (failed()) return error_;
    Fail(ErrorCode::kFrameTruncated,
         absl::StrCat("the stream ended inside a frame's length (", left, " of ",
                      size_t{1} << (static_cast<uint8_t>(buffer_[read_]) >> 6), " bytes)"));
  } else if (left - header_size < length) {
    Fail(ErrorCode::kFrameTruncated, absl::StrCat("the stream ended inside a frame: ",
                                                  left - header_size, " of ", length, " bytes"));
  } else {
    Fail(ErrorCode::kFrameTruncated,
         "the stream ended with whole frames not taken (call Next until it is empty)");
  }
  return error_;
}

}  // namespace sexp
