"""The docker CLI against the engine: every CLI of harness.docker_clis() (Debian's
20.10 and, when present, the 28.x one) runs the same tests, one TestCase class
each (TestCli20, TestCli28). Expectations are Docker's: run.sh --engine docker
must pass too. Containers use --network none; the only image is the imported
busybox (DC_IMAGE) and tags/imports of it made and removed here.
"""
import json
import os
import platform
import re
import socket
import tarfile
import time
import unittest

import harness
from harness import IMAGE, ROOTFS, api, wait_until

ID64 = r"[0-9a-f]{64}"
ID12 = r"[0-9a-f]{12}"
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"  # logs -t: RFC 3339, fixed 9 digits
ABSENT = "dc-absent-image/none:nope"  # never pulled: every run with it says --pull never


def _api_version(text):
    return tuple(int(p) for p in text.split("."))


class CliSuite:
    """Test methods for each docker CLI (harness.per_cli: self.docker, self.cli, self.d ...)."""

    # ---- helpers ----
    def sleeper(self, stem="s", *opts, cmd=("sleep", "300")):
        """A detached running container; returns (name, id)."""
        n = self.name(stem)
        r = self.assertOk(self.d("run", "-d", "--network", "none", "--name", n, *opts, IMAGE, *cmd))
        return n, r.out.strip()

    def trapper(self, stem="t", *opts):
        """A running container whose shell exits 0 on SIGTERM and reports SIGUSR1 on stdout."""
        script = 'trap "echo got USR1" USR1; trap "exit 0" TERM; echo ready; while :; do sleep 0.1; done'
        n, cid = self.sleeper(stem, *opts, cmd=("sh", "-c", script))
        wait_until(lambda: "ready" in self.d("logs", n).out, what="trapper ready")
        return n, cid

    def gone(self, name):
        return api("GET", f"/containers/{name}/json").status == 404

    def image_name(self, stem):
        """A fresh repo:tag; removed (if still there) after the test."""
        tag = f"dc{os.getpid() % 1000}/{self.cli}-{stem}:t{time.monotonic_ns() % 10**9}"
        self.addCleanup(api, "DELETE", f"/images/{tag}?force=1")
        return tag

    def import_image(self, stem, *opts):
        tag = self.image_name(stem)
        r = self.assertOk(self.d("image", "import", *opts, ROOTFS, tag))
        self.assertRegex(r.out, rf"^sha256:{ID64}\n$")
        return tag, r.out.strip()

    def label(self):
        """A label value unique to this test, to scope ps/events filters."""
        return f"{self.cli}-{self._testMethodName}-{time.monotonic_ns()}"

    # ---- version / info ----
    def test_version(self):
        r = self.assertOk(self.d("version"))
        self.assertRegex(r.out, r"(?m)^Client:.*\n Version: +\S+\n API version: +1\.\d+")
        # The server section's heading is "Server:" (+ the platform name, if any).
        self.assertRegex(r.out, r"(?m)^Server:.*\n Engine:\n  Version: +\S+\n"
                                r"  API version: +1\.\d+ \(minimum version 1\.\d+\)$")
        self.assertRegex(r.out, r"(?m)^  OS/Arch: +linux/amd64$")
        server = api("GET", "/version").json()
        f = self.assertOk(self.d("version", "--format",
                                 "{{.Client.APIVersion}}|{{.Server.APIVersion}}|{{.Server.MinAPIVersion}}|{{.Server.Version}}"))
        client_api, server_api, server_min, server_version = f.out.strip().split("|")
        self.assertEqual((server_api, server_min, server_version),
                         (server["ApiVersion"], server["MinAPIVersion"], server["Version"]))
        # Both CLIs (20.10 speaks at most 1.41) must be accepted: min <= 1.41 <= max;
        # the client negotiates down to the server's version at most.
        self.assertLessEqual(_api_version(server_min), (1, 41))
        self.assertGreaterEqual(_api_version(server_api), (1, 41))
        self.assertLessEqual(_api_version(client_api), _api_version(server_api))
        if self.cli == "cli20":
            self.assertEqual(client_api, "1.41")
        else:
            self.assertRegex(r.out, rf"(?m)^ API version: +{re.escape(client_api)} \(downgraded from 1\.\d+\)$")

    def test_info(self):
        n, _ = self.sleeper("info")
        all_ids = self.assertOk(self.d("ps", "-a", "-q")).out.split()
        running = self.assertOk(self.d("ps", "-q")).out.split()
        r = self.assertOk(self.d("info"))
        # Server Version, Runtimes, plugins, security options are the engine's own: only
        # what both engines must report the same is checked.
        for line in ("Server:", f" Containers: {len(all_ids)}", f"  Running: {len(running)}",
                     f" Kernel Version: {platform.release()}", " OSType: linux",
                     f" Architecture: {platform.machine()}", f" CPUs: {os.cpu_count()}",
                     f" Name: {socket.gethostname()}", " Logging Driver: json-file", " Swarm: inactive"):
            self.assertIn(line + "\n", r.out)
        self.assertRegex(r.out, r"(?m)^ Server Version: \S+$")
        self.assertRegex(r.out, r"(?m)^ Images: [1-9]\d*$")
        self.assertRegex(r.out, r"(?m)^ Total Memory: \d+(\.\d+)?[KMGT]iB$")
        self.assertRegex(r.out, r"(?m)^ Docker Root Dir: /\S+$")
        j = json.loads(self.assertOk(self.d("info", "--format", "{{json .}}")).out)
        self.assertEqual((j["ContainersRunning"], j["OSType"], j["NCPU"]), (len(running), "linux", os.cpu_count()))
        self.assertIn(n, self.assertOk(self.d("ps", "--format", "{{.Names}}")).out.split())

    # ---- images ----
    def test_image_import_ls_inspect_tag_rm(self):
        tag, image_id = self.import_image("imp", "--change", 'CMD ["echo","imported"]')
        repo, t = tag.rsplit(":", 1)
        ls = self.assertOk(self.d("image", "ls", repo))
        self.assertRegex(ls.out, r"^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n"
                                 rf"{re.escape(repo)} +{t} +{image_id[7:19]} +.+ago +\d+(\.\d+)?[kM]B\n$")
        self.assertEqual(self.inspect("{{.Id}} {{json .RepoTags}} {{json .Config.Cmd}} {{.Os}}", tag),
                         f'{image_id} ["{tag}"] ["echo","imported"] linux')
        self.assertEqual(self.assertOk(self.d("run", "--rm", "--network", "none", tag)).out, "imported\n")
        tag2 = self.image_name("imp2")
        r = self.assertOk(self.d("image", "tag", tag, tag2))
        self.assertEqual(r.out, "")
        self.assertCountEqual(json.loads(self.inspect("{{json .RepoTags}}", image_id)), [tag, tag2])  # order unspecified
        ls = self.assertOk(self.d("image", "ls", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"))
        self.assertIn(f"{tag} {image_id[7:19]}\n", ls.out)
        self.assertIn(f"{tag2} {image_id[7:19]}\n", ls.out)
        self.assertEqual(self.assertOk(self.d("image", "rm", tag2)).out, f"Untagged: {tag2}\n")
        self.assertEqual(self.assertOk(self.d("image", "rm", tag)).out, f"Untagged: {tag}\nDeleted: {image_id}\n")
        self.assertEqual(api("GET", f"/images/{image_id}/json").status, 404)
        r = self.d("image", "rm", tag)
        self.assertRc(r, 1)
        prefix = "Error" if self.cli == "cli20" else "Error response from daemon"  # each CLI's wording
        self.assertEqual(r.err, f"{prefix}: No such image: {tag}\n")

    def test_image_save_load(self):
        tag, image_id = self.import_image("save")
        out = os.path.join(self.scratch_dir("save"), "img.tar")
        r = self.assertOk(self.d("save", "-o", out, tag))
        self.assertEqual(r.out, "")
        with tarfile.open(out) as tf:
            manifest = json.load(tf.extractfile("manifest.json"))
        self.assertEqual([m["RepoTags"] for m in manifest], [[tag]])
        self.assertOk(self.d("rmi", tag))
        self.assertEqual(api("GET", f"/images/{tag}/json").status, 404)
        r = self.assertOk(self.d("load", "-i", out))
        self.assertEqual(r.out, f"Loaded image: {tag}\n")
        self.assertEqual(self.inspect("{{.Id}}", tag), image_id)

    def test_history(self):
        tag, image_id = self.import_image("hist", "-m", "from the suite")
        r = self.assertOk(self.d("history", tag))
        self.assertRegex(r.out, r"^IMAGE +CREATED +CREATED BY +SIZE +COMMENT\n"
                                rf"{image_id[7:19]} +.+ago +\d+(\.\d+)?[kM]B +from the suite\n$")
        r = self.assertOk(self.d("history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Comment}}", tag))
        self.assertEqual(r.out, f"{image_id}||from the suite\n")

    # ---- run ----
    def test_run_attached_streams_and_exit_code(self):
        n = self.name("run")
        r = self.d("run", "--rm", "--network", "none", "--name", n, IMAGE,
                   "sh", "-c", "echo out; echo err >&2; exit 3")
        self.assertRc(r, 3)
        self.assertEqual((r.out, r.err), ("out\n", "err\n"))
        wait_until(lambda: self.gone(n), what="--rm removal")

    def run_failure(self, rc, *args):
        n = self.name("fail")
        r = self.d("run", "--rm", "--network", "none", "--name", n, *args)
        self.assertRc(r, rc)
        self.assertEqual(r.out, "")
        wait_until(lambda: self.gone(n), what="no container left after a failed --rm run")
        # CLI 20.10 races its own wait(removed) against the failed start and then may
        # log this line first; it does so against Docker too (4 of 40 runs).
        r.err = re.sub(r'^time="[^"]*" level=error msg="error waiting for container: context canceled"\n', "", r.err)
        return r

    def test_run_unknown_image_125(self):
        r = self.run_failure(125, "--pull", "never", ABSENT, "true")
        self.assertTrue(r.err.startswith(f"docker: Error response from daemon: No such image: {ABSENT}"), r)

    def test_run_not_executable_126(self):
        r = self.run_failure(126, IMAGE, "/etc/passwd")
        self.assertRegex(r.err, r'^docker: Error response from daemon: .*exec: "/etc/passwd": permission denied')

    def test_run_command_not_found_127(self):
        r = self.run_failure(127, IMAGE, "nosuchcmd")
        self.assertRegex(r.err, r'^docker: Error response from daemon: .*exec: "nosuchcmd": '
                                r'executable file not found in \$PATH')

    def test_run_tty_raw_bytes(self):
        # With -t both streams go through the pty: "\r\n" line ends, nothing on stderr.
        rc, out, err = self.d_bytes("run", "--rm", "-t", "--network", "none", IMAGE,
                                    "sh", "-c", "echo a; echo b >&2; exit 4")
        self.assertEqual((rc, out, err), (4, b"a\r\nb\r\n", b""))

    def test_run_detached(self):
        n, cid = self.sleeper("det")
        self.assertRegex(cid, rf"^{ID64}$")
        self.assertEqual(self.inspect("{{.Id}} {{.Name}} {{.State.Status}} {{.State.Running}}", n),
                         f"{cid} /{n} running true")
        self.assertEqual(self.assertOk(self.d("ps", "-q", "--filter", f"name={n}")).out, cid[:12] + "\n")

    def test_run_interactive_stdin(self):
        r = self.d("run", "--rm", "-i", "--network", "none", IMAGE, "sh", "-c", "cat; echo done; exit 2",
                   input="hello\nworld\n")
        self.assertRc(r, 2)
        self.assertEqual(r.out, "hello\nworld\ndone\n")
        data = "x" * 100000
        r = self.assertOk(self.d("run", "--rm", "-i", "--network", "none", IMAGE, "wc", "-c", input=data))
        self.assertEqual(r.out.strip(), "100000")

    def test_run_options_seen_by_process(self):
        r = self.assertOk(self.d("run", "--rm", "--network", "none", "-e", "FOO=bar baz", "-e", "EMPTY=",
                                 "-w", "/tmp/wd", "-u", "65534:65534", IMAGE,
                                 "sh", "-c", 'echo "$FOO|${EMPTY-unset}|$(pwd)|$(id -u):$(id -g)|$HOME"'))
        self.assertEqual(r.out, "bar baz||/tmp/wd|65534:65534|/home\n")

    def test_run_options_in_inspect_and_health(self):
        n, cid = self.sleeper("opts", "-e", "FOO=bar", "-w", "/tmp/wd", "-u", "nobody",
                              "--label", "a=b", "--label", "c=", "--restart", "on-failure:2",
                              "--health-cmd", "test -d /tmp/wd", "--health-interval", "200ms")
        self.assertEqual(self.inspect("{{.Name}}|{{json .Config.Env}}|{{.Config.WorkingDir}}|{{.Config.User}}|"
                                      "{{json .Config.Labels}}|{{.HostConfig.RestartPolicy.Name}}:"
                                      "{{.HostConfig.RestartPolicy.MaximumRetryCount}}|{{json .Config.Healthcheck}}", n),
                         f'/{n}|["FOO=bar"]|/tmp/wd|nobody|{{"a":"b","c":""}}|on-failure:2|'
                         '{"Test":["CMD-SHELL","test -d /tmp/wd"],"Interval":200000000}')
        wait_until(lambda: self.inspect("{{.State.Health.Status}}", n) == "healthy", what="healthy")
        self.assertRegex(self.assertOk(self.d("ps", "--filter", f"name={n}", "--format", "{{.Status}}")).out,
                         r"^Up .* \(healthy\)\n$")
        # The main process itself (pid 1) runs with them.
        r = self.assertOk(self.d("exec", n, "sh", "-c", 'tr "\\0" "\\n" </proc/1/environ | grep ^FOO=; '
                                                        'readlink /proc/1/cwd; stat -c %u /proc/1'))
        self.assertEqual(r.out, "FOO=bar\n/tmp/wd\n65534\n")

    def test_health_unhealthy(self):
        n, _ = self.sleeper("unh", "--health-cmd", "exit 1", "--health-interval", "100ms", "--health-retries", "1")
        wait_until(lambda: self.inspect("{{.State.Health.Status}}", n) == "unhealthy", what="unhealthy")
        log = json.loads(self.inspect("{{json .State.Health.Log}}", n))
        self.assertGreaterEqual(len(log), 1)
        self.assertEqual(log[-1]["ExitCode"], 1)

    def test_restart_policy_on_failure(self):
        n = self.name("rp")
        self.assertOk(self.d("run", "-d", "--network", "none", "--name", n, "--restart", "on-failure:2",
                             IMAGE, "sh", "-c", "echo x; exit 1"))
        wait_until(lambda: self.inspect("{{.State.Status}} {{.RestartCount}}", n) == "exited 2",
                   timeout=20, what="two restarts then exited")
        self.assertEqual(self.inspect("{{.State.ExitCode}}", n), "1")
        self.assertEqual(self.assertOk(self.d("logs", n)).out, "x\nx\nx\n")

    def test_create_and_start_attached(self):
        n = self.name("cr")
        r = self.assertOk(self.d("create", "--network", "none", "--name", n, IMAGE,
                                 "sh", "-c", "echo one; echo two >&2; exit 5"))
        self.assertRegex(r.out, rf"^{ID64}\n$")
        self.assertEqual(self.inspect("{{.State.Status}}", n), "created")
        r = self.d("start", "-a", n)
        self.assertRc(r, 5)
        self.assertEqual((r.out, r.err), ("one\n", "two\n"))
        self.assertEqual(self.inspect("{{.State.Status}} {{.State.ExitCode}}", n), "exited 5")

    # ---- ps ----
    def test_ps_filters_and_format(self):
        lbl = self.label()
        running, rid = self.sleeper("psr", "--label", f"dcps={lbl}")
        exited = self.name("pse")
        self.assertRc(self.d("run", "--network", "none", "--name", exited, "--label", f"dcps={lbl}",
                             IMAGE, "sh", "-c", "exit 4"), 4)
        eid = self.inspect("{{.Id}}", exited)
        by_label = ("--filter", f"label=dcps={lbl}")
        self.assertEqual(self.assertOk(self.d("ps", *by_label, "--format", "{{.Names}}")).out, f"{running}\n")
        self.assertEqual(self.assertOk(self.d("ps", "-a", *by_label, "--format", "{{.Names}}")).out,
                         f"{exited}\n{running}\n")  # newest first
        self.assertEqual(self.assertOk(self.d("ps", "-a", "-q", *by_label)).out, f"{eid[:12]}\n{rid[:12]}\n")
        self.assertEqual(self.assertOk(self.d("ps", "-a", "-q", "--no-trunc", *by_label)).out, f"{eid}\n{rid}\n")
        self.assertEqual(self.assertOk(self.d("ps", "-a", "--filter", "status=exited", *by_label,
                                              "--format", "{{.Names}}")).out, f"{exited}\n")
        self.assertEqual(self.assertOk(self.d("ps", "-a", "--filter", f"name={running}", "--format",
                                              "{{.Names}}|{{.Image}}|{{.Command}}|{{.Labels}}")).out,
                         f'{running}|{IMAGE}|"sleep 300"|dcps={lbl}\n')
        r = self.assertOk(self.d("ps", "-a", "--filter", f"name={exited}"))
        self.assertRegex(r.out, r"^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n"
                                rf'{eid[:12]} +{re.escape(IMAGE)} +"sh -c \'exit 4\'" +.+ago +Exited \(4\) .+ago +{exited}\n$')
        self.assertRegex(self.assertOk(self.d("ps", "--filter", f"name={running}", "--format", "{{.Status}}")).out,
                         r"^Up (Less than a second|\d+ seconds?)\n$")

    # ---- logs ----
    def test_logs_follow_tail_timestamps(self):
        n = self.name("logs")
        self.assertOk(self.d("run", "-d", "--network", "none", "--name", n, IMAGE, "sh", "-c",
                             "for i in 1 2 3 4 5; do echo line$i; sleep 0.1; done"))
        r = self.assertOk(self.d("logs", "-f", n, timeout=30))  # returns when the container exits
        self.assertEqual(r.out, "line1\nline2\nline3\nline4\nline5\n")
        self.assertEqual(self.inspect("{{.State.Status}}", n), "exited")
        self.assertEqual(self.assertOk(self.d("logs", "--tail", "2", n)).out, "line4\nline5\n")
        self.assertEqual(self.assertOk(self.d("logs", "--tail", "0", n)).out, "")
        r = self.assertOk(self.d("logs", "-t", "--tail", "3", n))
        self.assertRegex(r.out, rf"^{TIMESTAMP} line3\n{TIMESTAMP} line4\n{TIMESTAMP} line5\n$")
        stamps = [line.split()[0] for line in r.out.splitlines()]
        self.assertEqual(stamps, sorted(stamps))

    def test_logs_stderr_stream(self):
        n = self.name("loge")
        self.assertRc(self.d("run", "--network", "none", "--name", n, IMAGE, "sh", "-c", "echo e >&2; exit 1"), 1)
        r = self.assertOk(self.d("logs", n))
        self.assertEqual((r.out, r.err), ("", "e\n"))

    # ---- exec ----
    def test_exec_options_and_exit_code(self):
        n, _ = self.sleeper("exec")
        r = self.d("exec", "-i", "-e", "X=1", "-w", "/tmp", "-u", "nobody", n,
                   "sh", "-c", 'cat; echo "$X|$(pwd)|$(id -u)"; exit 7', input="from stdin\n")
        self.assertRc(r, 7)
        self.assertEqual((r.out, r.err), ("from stdin\n1|/tmp|65534\n", ""))
        r = self.assertOk(self.d("exec", n, "sh", "-c", "echo out; echo err >&2"))
        self.assertEqual((r.out, r.err), ("out\n", "err\n"))

    def test_exec_failures(self):
        n, _ = self.sleeper("exf")
        r = self.d("exec", n, "nosuch")
        self.assertRc(r, 126)
        self.assertRegex(r.out, r'^OCI runtime exec failed: .*exec: "nosuch": executable file not found in \$PATH')
        self.assertOk(self.d("kill", n))  # returns once stopped, see test_kill_signal
        r = self.d("exec", n, "true")
        self.assertRc(r, 1)
        cid = self.inspect("{{.Id}}", n)
        self.assertEqual(r.err, f"Error response from daemon: Container {cid} is not running\n")

    def test_exec_unknown_user(self):
        n, _ = self.sleeper("exu")
        r = self.d("exec", "-u", "nouser", n, "true")
        self.assertRc(r, 126)
        # Docker relays runc's message through the exec's output stream: it is on stdout.
        self.assertEqual((r.out, r.err), ("unable to find user nouser: no matching entries in passwd file\n", ""))

    # ---- lifecycle ----
    def test_stop_timeout(self):
        n, _ = self.sleeper("stop")  # sleep as pid 1 ignores SIGTERM: killed after -t
        t0 = time.monotonic()
        r = self.assertOk(self.d("stop", "-t", "1", n))
        elapsed = time.monotonic() - t0
        self.assertEqual(r.out, f"{n}\n")
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 8)
        self.assertEqual(self.inspect("{{.State.Status}} {{.State.ExitCode}}", n), "exited 137")

    def test_stop_graceful(self):
        n, _ = self.trapper("stopg")
        self.assertEqual(self.assertOk(self.d("stop", "-t", "10", n)).out, f"{n}\n")
        self.assertEqual(self.inspect("{{.State.Status}} {{.State.ExitCode}}", n), "exited 0")

    def test_kill_signal(self):
        n, _ = self.trapper("kill")
        self.assertEqual(self.assertOk(self.d("kill", "-s", "USR1", n)).out, f"{n}\n")
        wait_until(lambda: "got USR1" in self.d("logs", n).out, what="USR1 seen by the process")
        self.assertEqual(self.inspect("{{.State.Running}}", n), "true")
        self.assertEqual(self.assertOk(self.d("kill", n)).out, f"{n}\n")
        # A SIGKILL kill returns once the container has stopped (Docker waits for the exit).
        self.assertEqual(self.inspect("{{.State.Status}} {{.State.ExitCode}}", n), "exited 137")

    def test_restart(self):
        n, _ = self.trapper("rst")
        pid1, started1 = self.inspect("{{.State.Pid}} {{.State.StartedAt}}", n).split()
        self.assertEqual(self.assertOk(self.d("restart", "-t", "5", n)).out, f"{n}\n")
        status, pid2, started2 = self.inspect("{{.State.Status}} {{.State.Pid}} {{.State.StartedAt}}", n).split()
        self.assertEqual(status, "running")
        self.assertNotEqual(pid1, pid2)
        self.assertNotEqual(started2, started1)
        self.assertEqual(self.inspect("{{.RestartCount}}", n), "0")  # manual restarts are not counted

    def test_pause_unpause(self):
        n, cid = self.sleeper("pause")
        self.assertEqual(self.assertOk(self.d("pause", n)).out, f"{n}\n")
        self.assertEqual(self.inspect("{{.State.Status}} {{.State.Paused}} {{.State.Running}}", n), "paused true true")
        self.assertRegex(self.d("ps", "--filter", f"name={n}", "--format", "{{.Status}}").out, r"^Up .* \(Paused\)\n$")
        self.assertEqual(self.d("ps", "-q", "--filter", "status=paused", "--filter", f"name={n}").out, cid[:12] + "\n")
        r = self.d("pause", n)
        self.assertRc(r, 1)
        self.assertEqual(r.err, f"Error response from daemon: Container {cid} is already paused\n")
        self.assertEqual(self.assertOk(self.d("unpause", n)).out, f"{n}\n")
        self.assertEqual(self.inspect("{{.State.Status}} {{.State.Paused}}", n), "running false")
        r = self.d("unpause", n)
        self.assertRc(r, 1)
        self.assertEqual(r.err, f"Error response from daemon: Container {cid} is not paused\n")

    def test_rename(self):
        n, cid = self.sleeper("ren")
        new = self.name("renamed")
        r = self.assertOk(self.d("rename", n, new))
        self.assertEqual(r.out, "")
        self.assertEqual(self.inspect("{{.Id}} {{.Name}}", new), f"{cid} /{new}")
        self.assertTrue(self.gone(n))

    def test_wait(self):
        n = self.name("wait")
        self.assertOk(self.d("run", "-d", "--network", "none", "--name", n, IMAGE, "sh", "-c", "sleep 0.3; exit 9"))
        self.assertEqual(self.assertOk(self.d("wait", n)).out, "9\n")
        self.assertEqual(self.assertOk(self.d("wait", n)).out, "9\n")  # already exited: answers at once

    def test_top(self):
        n, _ = self.sleeper("top")
        r = self.assertOk(self.d("top", n))
        lines = r.out.splitlines()
        self.assertEqual(lines[0].split(), ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
        self.assertEqual(len(lines), 2, r)
        self.assertRegex(lines[1], r"^root +\d+ +\d+ +\d+ +\S+ +\? +\d\d:\d\d:\d\d +sleep 300$")
        r = self.assertOk(self.d("top", n, "-o", "pid,args"))
        self.assertRegex(r.out, r"^ *PID +COMMAND\n *\d+ +sleep 300\n$")

    def test_stats_no_stream(self):
        n, cid = self.sleeper("stats")
        r = self.assertOk(self.d("stats", "--no-stream", n, timeout=30))
        self.assertRegex(r.out, r"^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS\n"
                                rf"{cid[:12]} +{n} +\d+\.\d\d% +\S+ / \S+ +\d+\.\d\d% +\S+ / \S+ +\S+ / \S+ +1\n$")
        r = self.assertOk(self.d("stats", "--no-stream", "--format", "{{.Name}}|{{.Container}}|{{.PIDs}}", n))
        self.assertEqual(r.out, f"{n}|{n}|1\n")

    # ---- inspect ----
    def test_inspect_container_and_image(self):
        n, cid = self.sleeper("insp")
        c = json.loads(self.assertOk(self.d("inspect", n)).out)
        self.assertEqual(len(c), 1)
        self.assertEqual((c[0]["Id"], c[0]["Name"], c[0]["Config"]["Image"], c[0]["State"]["Running"]),
                         (cid, f"/{n}", IMAGE, True))
        self.assertEqual(json.loads(self.assertOk(self.d("container", "inspect", cid[:12])).out)[0]["Id"], cid)
        image_id = c[0]["Image"]
        i = json.loads(self.assertOk(self.d("inspect", IMAGE)).out)
        self.assertEqual((i[0]["Id"], i[0]["RepoTags"]), (image_id, [IMAGE]))
        self.assertEqual(json.loads(self.assertOk(self.d("image", "inspect", IMAGE)).out)[0]["Id"], image_id)
        self.assertEqual(self.inspect("{{.Id}}", IMAGE), image_id)
        r = self.assertOk(self.d("inspect", "--type", "container", "--format", "{{.Name}}", n, n))
        self.assertEqual(r.out, f"/{n}\n/{n}\n")

    def expected_unknown(self, command, missing):
        """Docker's messages for an unknown name; the CLIs word them differently."""
        daemon = f"Error response from daemon: No such container: {missing}"
        if self.cli == "cli20":
            local = f"Error: No such container: {missing}"
            table = {"inspect": f"Error: No such object: {missing}", "container inspect": local,
                     "rm": local, "start": f"{daemon}\nError: failed to start containers: {missing}", "stop": daemon}
        else:
            table = {"inspect": f"Error: No such object: {missing}", "container inspect": daemon,
                     "rm": daemon, "start": f"{daemon}\nError: failed to start containers: {missing}", "stop": daemon}
        return table[command] + "\n"

    def test_unknown_name(self):
        missing = f"dc-nosuch-{self.cli}"
        for command in ("inspect", "container inspect", "rm", "start", "stop"):
            with self.subTest(command=command):
                r = self.d(*command.split(), missing)
                self.assertRc(r, 1)
                self.assertEqual(r.out, "[]\n" if "inspect" in command else "")
                self.assertEqual(r.err, self.expected_unknown(command, missing))
        r = self.d("image", "inspect", missing)
        self.assertRc(r, 1)
        self.assertEqual(r.out, "[]\n")
        # CLI 20 words it itself; CLI 28 shows the daemon's message, whose wording
        # changed across Docker versions (20.10: "no such image: X: No such image: X:latest").
        self.assertRegex(r.err, rf"^Error( response from daemon)?: .*No such image: {missing}(:latest)?\n$")

    def test_kill_unknown_name(self):
        missing = f"dc-nosuch-{self.cli}"
        r = self.d("kill", missing)
        self.assertRc(r, 1)
        # The daemon wraps the error ("Cannot" up to Docker 27, "cannot" in newer releases).
        self.assertRegex(r.err, rf"^Error response from daemon: [Cc]annot kill container: {missing}: "
                                rf"No such container: {missing}\n$")

    # ---- rm / conflicts / no-ops ----
    def test_rm_force_running(self):
        n, _ = self.sleeper("rmf")
        self.assertEqual(self.assertOk(self.d("rm", "-f", n)).out, f"{n}\n")
        self.assertTrue(self.gone(n))

    def test_sizes(self):
        """`ps -s` and `inspect -s`: the rw layer's bytes (moby's count) and the virtual size."""
        n = self.name("size")
        self.assertOk(self.d("run", "--network", "none", "--name", n, IMAGE, "sh", "-c",
                             "head -c 5000 /dev/zero > /tmp/f; echo x > /root/y"))
        r = self.assertOk(self.d("ps", "-a", "-s", "--filter", f"name=^{n}$", "--format", "{{.Size}}"))
        self.assertRegex(r.out, r"^5kB \(virtual 1\.9\dMB\)\n$")
        sizes = self.assertOk(self.d("inspect", "-s", "--format", "{{.SizeRw}} {{.SizeRootFs}}", n)).out.split()
        self.assertEqual(sizes[0], "5002")
        self.assertGreater(int(sizes[1]), 1_900_000)

    def test_system_prune(self):
        """Stopped containers go, running ones stay; the network and build-cache prunes it
        also asks for answer (nothing to prune here)."""
        stopped = self.name("prune")
        sid = self.assertOk(self.d("create", "--network", "none", "--name", stopped, IMAGE, "true")).out.strip()
        running, _ = self.sleeper("keep")
        r = self.assertOk(self.d("system", "prune", "-f"))
        self.assertIn(f"Deleted Containers:\n{sid}\n", r.out)
        self.assertRegex(r.out, r"Total reclaimed space: \S+\n$")
        self.assertTrue(self.gone(stopped))
        self.assertEqual(self.inspect("{{.State.Running}}", running), "true")

    def test_rm_running_conflict(self):
        n, cid = self.sleeper("rmc")
        r = self.d("rm", n)
        self.assertRc(r, 1)
        self.assertEqual(r.err, f"Error response from daemon: You cannot remove a running container {cid}. "
                                "Stop the container before attempting removal or force remove\n")
        self.assertEqual(self.inspect("{{.State.Running}}", n), "true")

    def test_name_in_use_conflict(self):
        n = self.name("dup")
        first = self.assertOk(self.d("create", "--network", "none", "--name", n, IMAGE)).out.strip()
        msg = (f'Error response from daemon: Conflict. The container name "/{n}" is already in use by container '
               f'"{first}". You have to remove (or rename) that container to be able to reuse that name.')
        r = self.d("create", "--network", "none", "--name", n, IMAGE)
        self.assertRc(r, 1)
        self.assertEqual(r.err, msg + "\n")
        r = self.d("run", "--network", "none", "--name", n, IMAGE, "true")
        self.assertRc(r, 125)
        self.assertTrue(r.err.startswith("docker: " + msg + "\n"), r)
        self.assertEqual(self.inspect("{{.Id}}", n), first)

    def test_start_running_and_stop_stopped_are_noops(self):
        n, _ = self.sleeper("noop")
        pid = self.inspect("{{.State.Pid}}", n)
        self.assertEqual(self.assertOk(self.d("start", n)).out, f"{n}\n")
        self.assertEqual(self.inspect("{{.State.Pid}}", n), pid)
        self.assertOk(self.d("kill", n))
        wait_until(lambda: self.inspect("{{.State.Status}}", n) == "exited", what="killed")
        self.assertEqual(self.assertOk(self.d("stop", n)).out, f"{n}\n")
        self.assertEqual(self.inspect("{{.State.Status}} {{.State.ExitCode}}", n), "exited 137")

    # ---- events ----
    def events(self, since, until, *args):
        return self.assertOk(self.d("events", "--since", f"{since:.6f}", "--until", f"{until:.6f}", *args))

    def test_events_filters_and_format(self):
        lbl = self.label()
        n = self.name("ev")
        since = time.time() - 0.01
        self.assertOk(self.d("create", "--network", "none", "--name", n, "--label", f"dcev={lbl}",
                             IMAGE, "sh", "-c", "exit 6"))
        cid = self.inspect("{{.Id}}", n)
        self.assertOk(self.d("start", n))
        self.assertEqual(self.assertOk(self.d("wait", n)).out, "6\n")
        self.assertOk(self.d("rm", n))
        until = time.time() + 0.5
        r = self.events(since, until, "--filter", f"container={n}",
                        "--format", "{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}} {{.From}}")
        self.assertEqual(r.out, "".join(f"container {a} {cid} {n} {IMAGE}\n"
                                        for a in ("create", "start", "die", "destroy")))
        r = self.events(since, until, "--filter", "event=die", "--filter", "type=container",
                        "--filter", f"label=dcev={lbl}",
                        "--format", '{{.Action}} {{index .Actor.Attributes "exitCode"}} {{.Actor.Attributes.dcev}}')
        self.assertEqual(r.out, f"die 6 {lbl}\n")
        r = self.events(since, until, "--filter", f"container={cid}", "--filter", "event=destroy")
        self.assertRegex(r.out, rf"^{TIMESTAMP[:-1]}(Z|[+-]\d\d:\d\d) container destroy {cid} \(.*name={n}.*\)\n$")
        self.assertEqual(self.events(since, until, "--filter", f"container={n}", "--filter", "type=image").out, "")

    def test_events_attached_run_order(self):
        # docker run attaches before it starts: the attach event comes before start.
        n = self.name("evr")
        since = time.time() - 0.01
        self.assertOk(self.d("run", "--rm", "--network", "none", "--name", n, IMAGE, "true"))
        wait_until(lambda: self.gone(n), what="--rm removal")
        r = self.events(since, time.time() + 0.5, "--filter", f"container={n}", "--format", "{{.Action}}")
        self.assertEqual(r.out.split(), ["create", "attach", "start", "die", "destroy"])


harness.per_cli(globals(), "TestCli", CliSuite)

if __name__ == "__main__":
    unittest.main()
