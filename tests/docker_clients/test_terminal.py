"""Interactive terminals as users run them: `docker run -it`, `docker exec -it` and
docker-compose's `exec` (a tty unless -T), each under a real pseudo-terminal made by
a pty of its own, with the terminal's size passed on. Run through run.sh (stack or dockerd).
"""
import fcntl
import os
import select
import shlex
import struct
import subprocess
import termios
import time
import unittest

import harness
from harness import IMAGE, EngineTestCase, api


def under_terminal(command, keystrokes, rows=27, cols=91, timeout=60, then=None):
    """Runs `command` (a shell string) with a fresh pty of the given size as its
    controlling terminal and stdio, types `keystrokes`, and with then=(MARKER, MORE)
    types MORE once MARKER has been shown (the client's terminal is raw by then:
    control keys reach it); returns (exit code, everything the terminal showed)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def take_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(["sh", "-c", command], stdin=slave, stdout=slave, stderr=slave,
                         start_new_session=True, preexec_fn=take_terminal)
    os.close(slave)
    os.write(master, keystrokes.encode())
    shown = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            if p.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every holder of the slave is gone
            break
        if not chunk:
            break
        shown += chunk
        if then and then[0].encode() in shown:
            os.write(master, then[1].encode())
            then = None
    os.close(master)
    rc = p.wait(timeout=10)
    return rc, shown.decode(errors="replace")


class Terminal(EngineTestCase):
    def sleeper(self):
        n = self.name("term")
        r = harness.run([harness.DOCKER_20, "run", "-d", "--network", "none", "--name", n, IMAGE, "sleep", "300"])
        self.assertOk(r)
        return n

    def test_exec_it_each_cli(self):
        n = self.sleeper()
        for label, docker in harness.docker_clis():
            with self.subTest(cli=label):
                # Typed at the prompt: the CLI sizes the terminal just after the start.
                rc, shown = under_terminal(f"{docker} exec -it {n} sh", "",
                                           then=("/ # ", "echo $((6*7)); tty; stty size; exit 3\r"))
                self.assertEqual(rc, 3, shown)
                self.assertIn("42\r\n", shown)
                self.assertRegex(shown, r"/dev/pts/\d+\r\n")
                self.assertIn("27 91\r\n", shown)

    def test_run_it_each_cli(self):
        for label, docker in harness.docker_clis():
            with self.subTest(cli=label):
                n = self.name("runit")
                # (No size check here: Docker's first resize can come after the shell read its input.)
                rc, shown = under_terminal(f"{docker} run -it --rm --network none --name {n} {IMAGE} sh",
                                           "test -t 0 && test -t 1 && echo on-a-$((2*3))-tty; exit 4\n")
                self.assertEqual(rc, 4, shown)
                self.assertIn("on-a-6-tty\r\n", shown)
                self.assertEqual(api("GET", f"/containers/{n}/json").status, 404)  # --rm

    def test_detach_keys_leave_the_container_running(self):
        """ctrl-p ctrl-q ends `docker run -it` (rc 0) and the container goes on, its
        input still open; a custom --detach-keys on a later `docker attach` ends that."""
        for label, docker in harness.docker_clis():
            with self.subTest(cli=label):
                n = self.name("detach")
                rc, shown = under_terminal(f"{docker} run -it --network none --name {n} {IMAGE} sh",
                                           "echo before-$((1+1))\r", then=("before-2", "\x10\x11"))
                self.assertEqual(rc, 0, shown)
                self.assertIn("before-2", shown)
                state = api("GET", f"/containers/{n}/json").json()["State"]
                self.assertTrue(state["Running"], state)
                rc, shown = under_terminal(f"{docker} attach --detach-keys ctrl-a,x {n}", "echo again-$((2+2))\r",
                                           then=("again-4", "\x01x"))
                # `docker attach` reports the detach as an error (rc 1), `run -it` does not.
                self.assertEqual(rc, 1, repr(shown))
                self.assertIn("again-4", shown)
                self.assertIn("read escape sequence", shown)
                self.assertTrue(api("GET", f"/containers/{n}/json").json()["State"]["Running"])

    def test_compose_exec_with_a_tty(self):
        d = self.scratch_dir("compose-tty")
        with open(os.path.join(d, "docker-compose.yml"), "w") as f:
            f.write(f"services:\n  web:\n    image: {IMAGE}\n    command: sleep 300\n    network_mode: none\n")
        project = f"dctty{os.getpid() % 1000}"
        compose = f"docker-compose --ansi never -p {project}"
        self.addCleanup(harness.run, ["docker-compose", "--ansi", "never", "-p", project, "down", "-t", "0"], cwd=d)
        self.assertOk(harness.run(["docker-compose", "--ansi", "never", "-p", project, "up", "-d"], cwd=d))
        rc, shown = under_terminal(f"cd {shlex.quote(d)} && {compose} exec web sh", "",
                                   rows=21, cols=88, then=("/ # ", "tty; stty size; exit 6\r"))
        self.assertEqual(rc, 6, shown)
        self.assertRegex(shown, r"/dev/pts/\d+\r\n")
        self.assertIn("21 88\r\n", shown)


if __name__ == "__main__":
    unittest.main()
