// The runner channel's frames (docs/plugin-guide.md "Isolation", ISO-3):
//   u32 length | u8 type | u64 call id | payload
// little-endian, length counting everything after itself. Payload fields are
// fixed-size integers and u32-length-prefixed byte strings. Nothing in a
// payload is interpreted on the way through: JSON stays JSON, stream event
// kinds and capability bytes are forwarded as they are, so a minor ABI that
// appends kinds, flags or fields crosses the channel unchanged.
// "error fields": i32 code, i32 http status, i64 retry-after ms, u64 flags,
// bytes message, bytes request id (ABI 1.1's set_error_request_id).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace autoarr::plugin::isolation {

inline constexpr std::size_t kFrameHeaderBytes = 4 + 1 + 8;
// The largest frame either side accepts: an output is capped at 16 MiB (Instance::kMaxOutputBytes).
inline constexpr std::size_t kMaxFrameBytes = 32u * 1024 * 1024;

enum class FrameType : uint8_t {
    // host -> runner
    load = 1,          // u32 min_abi, u32 max_abi, u32 log level, bytes id, bytes library path, bytes load path
    create = 2,        // bytes config json
    destroy = 3,       // u64 handle
    call = 4,          // u64 handle, u32 slot, i64 deadline_ns, bytes request
    cancel = 5,        // (the call id in the header)
    secret_reply = 6,  // u32 found, bytes value
    shutdown = 7,      //
    // runner -> host
    ready = 32,           // u32 abi, bytes name, bytes version, u32 has_list_models, u32 has_stream, bytes sandbox
    load_failed = 33,     // u32 step, bytes rule, bytes cause
    created = 34,         // error fields, u64 handle, bytes capabilities (struct bytes up to struct_size)
    result = 35,          // error fields, bytes output
    event = 36,           // u32 kind, bytes data
    log = 37,             // i32 level, bytes text
    metric = 38,          // i32 kind, u64 value bits (double), bytes name
    secret_request = 39,  // bytes name
};

// The slots a call frame names.
enum class Slot : uint32_t { health = 1, list_models = 2, complete = 3, stream = 4 };

struct Frame {
    FrameType type{};
    uint64_t id = 0;
    std::string payload;
};

class PayloadWriter {
public:
    PayloadWriter& u32(uint32_t v);
    PayloadWriter& i32(int32_t v) { return u32(static_cast<uint32_t>(v)); }
    PayloadWriter& u64(uint64_t v);
    PayloadWriter& i64(int64_t v) { return u64(static_cast<uint64_t>(v)); }
    PayloadWriter& bytes(std::string_view v);
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

// Reads fields in order; after any read past the end, ok() is false and every
// later read returns zero or empty.
class PayloadReader {
public:
    explicit PayloadReader(std::string_view payload) : in_(payload) {}
    uint32_t u32();
    int32_t i32() { return static_cast<int32_t>(u32()); }
    uint64_t u64();
    int64_t i64() { return static_cast<int64_t>(u64()); }
    std::string_view bytes();
    bool ok() const { return ok_; }
    // True when every byte was read and nothing overran.
    bool finished() const { return ok_ && pos_ == in_.size(); }

private:
    bool take(std::size_t n, const char*& p);
    std::string_view in_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

// Writes one frame whole (a frame is never interleaved with another: the
// mutex serialises the writers of one channel). False when the channel is gone.
bool write_frame(int fd, std::mutex& write_mutex, FrameType type, uint64_t id, std::string_view payload);

// Reads the frames of one channel through a buffer, so that a small frame
// costs one recv instead of three. Not thread-safe: its owner lets one thread
// read at a time (the host's and the runner's reading role).
class FrameReader {
public:
    explicit FrameReader(int fd);
    // Reads one frame. nullopt at the end of the channel or on a malformed
    // frame; error then says which ("" for a clean end of channel).
    // With would_block, it never waits: when the channel has no more bytes
    // yet it sets *would_block and returns nullopt, and the next call goes on
    // where this one stopped (a frame may arrive in many pieces).
    std::optional<Frame> next(std::string& error, bool* would_block = nullptr);
    // True when next() can answer from the buffer alone (a whole frame, or a bad length).
    bool ready() const;
    // Bytes received and not yet returned in a frame.
    bool has_unread() const { return end_ > begin_ || partial_.has_value(); }

private:
    // 0: n bytes buffered; 1: clean end; 2: would block; -1: error.
    int fill_to(std::size_t n, std::string& error, bool nonblocking);
    int fd_;
    std::unique_ptr<char[]> buffer_;
    std::size_t begin_ = 0, end_ = 0;  // the unread bytes are buffer_[begin_, end_)
    std::optional<Frame> partial_;     // a frame whose header was read and payload not yet whole
    std::size_t partial_got_ = 0;      // its payload bytes so far
};

}  // namespace autoarr::plugin::isolation
