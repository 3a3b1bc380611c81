// Terminals: the pty master sent over --console-socket exactly as runc sends it (a tiny
// receiver here takes it with SCM_RIGHTS, types a command and reads the output through
// the pty), `exec --tty` the same way, runc's errors, and a foreground `run` relaying
// its terminal.
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "tests/integration/runtime_test_helpers.h"

namespace stack::runtime::testing {
namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// A listening unix socket, the receiving end of --console-socket.
class ConsoleReceiver {
 public:
  explicit ConsoleReceiver(const std::string& path) : path_(path) {
    listen_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_, 4), 0);
  }
  ~ConsoleReceiver() {
    ::close(listen_);
    ::unlink(path_.c_str());
  }
  // Accepts one connection and receives the master: fd, and the message body (its name).
  int receive(std::string& name) {
    int conn = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return -1;
    char buf[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    ::close(conn);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (n < 0 || !c || c->cmsg_type != SCM_RIGHTS) return -1;
    name.assign(buf, static_cast<size_t>(n));
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
  }

 private:
  std::string path_;
  int listen_ = -1;
};

// Reads from the master until EIO (every slave holder gone) or the deadline.
std::string read_all(int master, int timeout_ms) {
  std::string out;
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) break;
    char buf[4096];
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

class RuntimeConsole : public RuntimeTest {
 protected:
  void TearDown() override {
    kill_and_reap();  // exec -d processes come back to us (see kill_and_reap)
    RuntimeTest::TearDown();
  }
};

TEST_F(RuntimeConsole, CreateSendsThePtyMasterOverTheConsoleSocket) {
  std::string sock = dir_ + "/console.sock";
  ConsoleReceiver receiver(sock);
  config_["process"]["terminal"] = true;
  config_["process"]["consoleSize"] = {{"height", 33}, {"width", 111}};
  set_args("read line; eval \"$line\"");
  write_config();
  std::string id = new_id("console");
  auto o = run_stack({"create", "--console-socket", sock, id});
  ASSERT_EQ(o.status, 0) << o.err;
  std::string name;
  int master = receiver.receive(name);
  ASSERT_GE(master, 0);
  EXPECT_EQ(name, "/dev/ptmx");  // runc's utils.SendFile sends the file's name
  ASSERT_EQ(run_stack({"start", id}).status, 0);
  std::string cmd = "echo hello-$((6*7)); tty; stty size; test -t 0 && echo stdin-is-tty; exit 5\n";
  ASSERT_EQ(::write(master, cmd.data(), cmd.size()), static_cast<ssize_t>(cmd.size()));
  std::string out = read_all(master, 5000);
  ::close(master);
  EXPECT_TRUE(contains(out, "hello-42")) << out;
  EXPECT_TRUE(contains(out, "/dev/pts/0")) << out;  // the container's own devpts
  EXPECT_TRUE(contains(out, "33 111")) << out;
  EXPECT_TRUE(contains(out, "stdin-is-tty")) << out;
}

TEST_F(RuntimeConsole, ExecTtyDetachedSendsItsOwnPty) {
  std::string sock = dir_ + "/exec.sock";
  ConsoleReceiver receiver(sock);
  set_args("exec sleep 1000");
  write_config();
  std::string id = new_id("exectty");
  ASSERT_EQ(run_stack({"run", "-d", id}).status, 0);
  auto o = run_stack({"exec", "-t", "-d", "--console-socket", sock, id, "sh"});
  ASSERT_EQ(o.status, 0) << o.err;
  std::string name;
  int master = receiver.receive(name);
  ASSERT_GE(master, 0);
  std::string cmd = "tty; echo pid=$$; exit\n";
  ASSERT_EQ(::write(master, cmd.data(), cmd.size()), static_cast<ssize_t>(cmd.size()));
  std::string out = read_all(master, 5000);
  ::close(master);
  EXPECT_TRUE(contains(out, "/dev/pts/")) << out;
  EXPECT_FALSE(contains(out, "pid=1\r")) << out;
}

TEST_F(RuntimeConsole, RuncsErrorsForTerminalsAndSockets) {
  config_["process"]["terminal"] = true;
  write_config();
  auto o = run_stack({"create", new_id("nosock")});
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(contains(o.err, "cannot allocate tty if stack runtime will detach without setting console socket")) << o.err;
  config_["process"]["terminal"] = false;
  write_config();
  o = run_stack({"create", "--console-socket", dir_ + "/none.sock", new_id("notty")});
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(contains(o.err, "cannot use console socket if stack runtime will not detach or allocate tty")) << o.err;
}

TEST_F(RuntimeConsole, ForegroundRunRelaysTheTerminal) {
  config_["process"]["terminal"] = true;
  set_args("tty; echo through-the-pty; exit 4");
  auto o = run_container(new_id("relay"));
  EXPECT_EQ(o.status, 4) << o.err;
  EXPECT_TRUE(contains(o.out, "/dev/pts/0")) << o.out;
  EXPECT_TRUE(contains(o.out, "through-the-pty")) << o.out;
}

}  // namespace
}  // namespace stack::runtime::testing
