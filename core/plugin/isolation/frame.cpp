#include "plugin/isolation/frame.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace autoarr::plugin::isolation {
namespace {

void put_le(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t get_le(const char* p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

bool is_known(uint8_t t) {
    return (t >= 1 && t <= 7) || (t >= 32 && t <= 39);
}

}  // namespace

PayloadWriter& PayloadWriter::u32(uint32_t v) {
    put_le(out_, v, 4);
    return *this;
}
PayloadWriter& PayloadWriter::u64(uint64_t v) {
    put_le(out_, v, 8);
    return *this;
}
PayloadWriter& PayloadWriter::bytes(std::string_view v) {
    put_le(out_, v.size(), 4);
    out_.append(v);
    return *this;
}

bool PayloadReader::take(std::size_t n, const char*& p) {
    if (!ok_ || in_.size() - pos_ < n) {
        ok_ = false;
        return false;
    }
    p = in_.data() + pos_;
    pos_ += n;
    return true;
}
uint32_t PayloadReader::u32() {
    const char* p;
    return take(4, p) ? static_cast<uint32_t>(get_le(p, 4)) : 0;
}
uint64_t PayloadReader::u64() {
    const char* p;
    return take(8, p) ? get_le(p, 8) : 0;
}
std::string_view PayloadReader::bytes() {
    const uint32_t n = u32();
    const char* p;
    return take(n, p) ? std::string_view(p, n) : std::string_view();
}

bool write_frame(int fd, std::mutex& write_mutex, FrameType type, uint64_t id, std::string_view payload) {
    if (payload.size() + kFrameHeaderBytes > kMaxFrameBytes) return false;
    std::string header;
    put_le(header, payload.size() + 1 + 8, 4);
    header.push_back(static_cast<char>(type));
    put_le(header, id, 8);
    std::lock_guard lock(write_mutex);
    iovec iov[2] = {{header.data(), header.size()}, {const_cast<char*>(payload.data()), payload.size()}};
    std::size_t total = header.size() + payload.size(), sent = 0;
    while (sent < total) {
        msghdr msg{};
        iovec rest[2];
        int n = 0;
        std::size_t skip = sent;
        for (auto& v : iov) {
            if (skip >= v.iov_len) {
                skip -= v.iov_len;
                continue;
            }
            rest[n++] = {static_cast<char*>(v.iov_base) + skip, v.iov_len - skip};
            skip = 0;
        }
        msg.msg_iov = rest;
        msg.msg_iovlen = static_cast<std::size_t>(n);
        ssize_t w = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        sent += static_cast<std::size_t>(w);
    }
    return true;
}

namespace {
constexpr std::size_t kReadBufferBytes = 64 * 1024;  // larger frames read their rest straight into the payload
}

FrameReader::FrameReader(int fd) : fd_(fd), buffer_(new char[kReadBufferBytes]) {}

int FrameReader::fill_to(std::size_t n, std::string& error, bool nonblocking) {
    if (begin_ == end_) begin_ = end_ = 0;  // empty: read into the whole buffer again
    if (kReadBufferBytes - begin_ < n) {
        std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    while (end_ - begin_ < n) {
        ssize_t r = ::recv(fd_, buffer_.get() + end_, kReadBufferBytes - end_, nonblocking ? MSG_DONTWAIT : 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 2;
        // A peer that died with our frames unread resets the connection: at a frame
        // boundary that is the end of the channel, and how it ended is the wait status.
        if (r < 0 && errno == ECONNRESET && end_ == begin_) return 1;
        if (r < 0) {
            error = std::string("channel read failed: ") + std::strerror(errno);
            return -1;
        }
        if (r == 0) {
            if (end_ == begin_) return 1;
            error = "channel ended inside a frame (" + std::to_string(end_ - begin_) + " of " + std::to_string(n) +
                    " bytes)";
            return -1;
        }
        end_ += static_cast<std::size_t>(r);
    }
    return 0;
}

bool FrameReader::ready() const {
    const std::size_t have = end_ - begin_;
    if (partial_) return have >= partial_->payload.size() - partial_got_;
    if (have < 4) return false;
    const uint64_t length = get_le(buffer_.get() + begin_, 4);
    return length < 9 || length + 4 > kMaxFrameBytes || have >= length + 4;
}

std::optional<Frame> FrameReader::next(std::string& error, bool* would_block) {
    error.clear();
    const bool nonblocking = would_block != nullptr;
    if (would_block) *would_block = false;
    if (!partial_) {
        int r = fill_to(4, error, nonblocking);
        if (r == 2 && would_block) *would_block = true;
        if (r != 0) return std::nullopt;
        const uint64_t length = get_le(buffer_.get() + begin_, 4);
        if (length < 9 || length + 4 > kMaxFrameBytes) {
            error = "malformed frame: length " + std::to_string(length) + " is outside 9.." +
                    std::to_string(kMaxFrameBytes - 4);
            return std::nullopt;
        }
        r = fill_to(kFrameHeaderBytes, error, nonblocking);
        if (r == 2 && would_block) *would_block = true;
        if (r != 0) {
            if (r == 1) error = "channel ended inside a frame header";
            return std::nullopt;
        }
        const char* header = buffer_.get() + begin_;
        const auto type = static_cast<uint8_t>(header[4]);
        if (!is_known(type)) {
            error = "malformed frame: unknown type " + std::to_string(type);
            return std::nullopt;
        }
        partial_.emplace();
        partial_->type = static_cast<FrameType>(type);
        partial_->id = get_le(header + 5, 8);
        partial_->payload.resize(length - 9);
        partial_got_ = 0;
        begin_ += kFrameHeaderBytes;
    }
    std::string& payload = partial_->payload;
    const std::size_t buffered = std::min(end_ - begin_, payload.size() - partial_got_);
    std::memcpy(payload.data() + partial_got_, buffer_.get() + begin_, buffered);
    begin_ += buffered;
    partial_got_ += buffered;
    while (partial_got_ < payload.size()) {  // the rest straight into the payload (frames beyond the buffer)
        ssize_t r =
            ::recv(fd_, payload.data() + partial_got_, payload.size() - partial_got_, nonblocking ? MSG_DONTWAIT : 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && would_block) {
            *would_block = true;
            return std::nullopt;
        }
        if (r <= 0) {
            error = r < 0 ? std::string("channel read failed: ") + std::strerror(errno)
                          : "channel ended inside a frame (" + std::to_string(partial_got_) + " of " +
                                std::to_string(payload.size()) + " payload bytes)";
            partial_.reset();
            return std::nullopt;
        }
        partial_got_ += static_cast<std::size_t>(r);
    }
    Frame f = std::move(*partial_);
    partial_.reset();
    return f;
}

}  // namespace autoarr::plugin::isolation
