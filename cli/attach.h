// Pumping an attached container or exec stream (a hijacked API connection): output to
// our stdout/stderr (Docker's framing demultiplexed unless a TTY), our stdin to the
// connection with a half-close at EOF, the terminal in raw mode and its size sent on
// start and on SIGWINCH. As the docker CLI's hijack.go, without detach keys.
#pragma once

#include <cerrno>
#include <functional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "engine/client/client.h"

namespace stack::cli {

// Demultiplexes Docker's stdcopy stream: 8-byte headers [stream,0,0,0,u32 BE size];
// stream 1 to out, 2 and 3 (system error) to err. Pieces may split headers anywhere.
class Demuxer {
 public:
  using Sink = std::function<void(int stream, std::string_view data)>;
  explicit Demuxer(Sink sink) : sink_(std::move(sink)) {}
  void feed(std::string_view bytes);
  bool idle() const { return buffer_.empty(); }

 private:
  Sink sink_;
  std::string buffer_;
};

// Puts a terminal fd in raw mode (as Go's term.MakeRaw) and restores it on destruction.
// Does nothing when the fd is not a terminal.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal();
  bool active() const { return active_; }

 private:
  int fd_;
  bool active_ = false;
  struct Saved;
  Saved* saved_ = nullptr;
};

// The size of the terminal on fd, if it is one.
bool terminal_size(int fd, int& height, int& width);

struct PumpOptions {
  bool tty = false;         // raw bytes, no framing
  bool send_stdin = false;  // copy fd 0 to the connection; shutdown_write at EOF
  int out_fd = 1, err_fd = 2, in_fd = 0;
  // Called with the terminal's size at start and on each SIGWINCH (tty only).
  std::function<void(int height, int width)> resize;
  // With a tty and stdin: the detach sequence (api::parse_detach_keys) watched for in our
  // input, as docker's CLI does; typing it ends the pump with kDetached.
  std::string detach_keys;
};

// The error pump_stream ends with when the detach keys were typed (docker's text).
inline constexpr int kDetachedErrno = ECANCELED;
inline constexpr const char* kDetachedMessage = "read escape sequence";

// Runs until the daemon ends the stream (the container or exec process exited).
Result<void> pump_stream(client::RawConnection& conn, const PumpOptions& options);

}  // namespace stack::cli

namespace stack::cli {

// While alive, the signals a user sends to an attached `run` (INT, TERM, HUP, QUIT, USR1,
// USR2) are not acted on by us but handed to `forward` on a helper thread, which passes
// them to the container (docker's --sig-proxy).
class SignalForwarder {
 public:
  explicit SignalForwarder(std::function<void(int signal)> forward);
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;
  ~SignalForwarder();

 private:
  struct State;
  State* state_;
};

}  // namespace stack::cli
