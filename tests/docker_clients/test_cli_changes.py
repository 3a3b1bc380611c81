"""docker diff, commit, update and system df with the real docker CLI (every CLI of
harness.docker_clis()), against stack or a private dockerd: run.sh --engine docker
must pass too. Docker lists diff changes in no fixed order: lines compare as sets.
"""
import os
import re
import time
import unittest

import harness
from harness import IMAGE, api, wait_until

ID64 = r"[0-9a-f]{64}"


def cgroup_file(pid, controller, name):
    """The file `name` in the process's cgroup of `controller` (v1) or its v2 dir."""
    unified = None
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, names, path = line.rstrip("\n").split(":", 2)
            if names == "":
                unified = path
            if controller in names.split(","):
                return f"/sys/fs/cgroup/{controller}{path}/{name}"
    v2_name = {"memory.limit_in_bytes": "memory.max"}.get(name, name)
    return f"/sys/fs/cgroup{unified}/{v2_name}"


def read(path):
    with open(path) as f:
        return f.read().strip()


class ChangesSuite:
    """Test methods for each docker CLI (harness.per_cli)."""

    def ran(self, stem, script):
        """A container that ran `script` to its end; returns its name."""
        n = self.name(stem)
        self.assertOk(self.d("run", "--network", "none", "--name", n, IMAGE, "sh", "-c", script))
        return n

    def sleeper(self, stem, *opts):
        n = self.name(stem)
        self.assertOk(self.d("run", "-d", "--network", "none", "--name", n, *opts, IMAGE, "sleep", "300"))
        return n

    def image_name(self, stem):
        tag = f"dc{os.getpid() % 1000}/{self.cli}-{stem}:t{time.monotonic_ns() % 10**9}"
        self.addCleanup(api, "DELETE", f"/images/{tag}?force=1")
        return tag

    # ---- diff ----
    def test_diff_lists_added_changed_and_deleted_paths(self):
        n = self.ran("diff", "echo x > /etc/new; rm /etc/group; mkdir -p /tmp/a/b; touch /tmp/a/b/f; "
                             "echo y >> /etc/passwd; rm /bin/ls")
        r = self.assertOk(self.d("diff", n))
        self.assertEqual(set(r.out.splitlines()), {
            "C /etc", "A /etc/new", "D /etc/group", "C /etc/passwd",
            "C /tmp", "A /tmp/a", "A /tmp/a/b", "A /tmp/a/b/f",
            "C /bin", "D /bin/ls"})
        self.assertEqual(len(r.out.splitlines()), 10, r.out)

    def test_diff_of_a_recreated_directory(self):
        # rm -rf then mkdir: the directory is opaque in the upper dir; Docker lists what
        # the image had in it as deleted (not deeper) and the new content as added.
        n = self.ran("opq", "rm -rf /usr; mkdir /usr; touch /usr/x")
        r = self.assertOk(self.d("diff", n))
        self.assertEqual(set(r.out.splitlines()), {"C /usr", "D /usr/bin", "D /usr/sbin", "A /usr/x"})

    def test_diff_without_changes_prints_nothing(self):
        n = self.ran("same", "true")
        r = self.assertOk(self.d("diff", n))
        self.assertEqual(r.out, "")
        r = self.d("diff", "dc-no-such-container")
        self.assertRc(r, 1)
        self.assertIn("No such container: dc-no-such-container", r.err)

    def test_diff_of_a_running_container(self):
        n = self.name("live")
        self.assertOk(self.d("run", "-d", "--network", "none", "--name", n, IMAGE, "sh", "-c",
                             "mkdir /data; touch /data/x; sleep 300"))
        def changes():
            lines = set(self.d("diff", n).out.splitlines())
            return lines if "A /data/x" in lines else None
        lines = wait_until(changes, what="the running container's changes")
        self.assertEqual(lines, {"A /data", "A /data/x"})

    # ---- commit ----
    def test_commit_then_run_the_new_image(self):
        n = self.ran("commit", "echo committed > /etc/new; rm /etc/group")
        tag = self.image_name("commit")
        r = self.assertOk(self.d("commit", "-m", "a message", "-a", "someone", "-c", "ENV X=1", n, tag))
        self.assertRegex(r.out, rf"^sha256:{ID64}\n$")
        image_id = r.out.strip()
        self.assertEqual(self.inspect("{{.Id}}|{{.Comment}}|{{.Author}}|{{len .RootFS.Layers}}", tag),
                         f"{image_id}|a message|someone|2")
        env = self.inspect("{{json .Config.Env}}", tag)
        self.assertIn('"X=1"', env)
        hist = self.assertOk(self.d("history", "--format", "{{.Comment}}", tag)).out.splitlines()
        self.assertEqual(hist[0], "a message")
        r = self.d("run", "--rm", "--network", "none", tag, "sh", "-c", "cat /etc/new; echo $X; ls /etc/group")
        self.assertEqual(r.out, "committed\n1\n")
        self.assertIn("No such file", r.err)

    def test_commit_of_a_running_container_leaves_it_running(self):
        n = self.name("run")
        self.assertOk(self.d("run", "-d", "--network", "none", "--name", n, IMAGE, "sh", "-c",
                             "echo live > /live; sleep 300"))
        wait_until(lambda: "A /live" in self.d("diff", n).out, what="/live written")
        tag = self.image_name("live")
        self.assertOk(self.d("commit", n, tag))
        self.assertEqual(self.inspect("{{.State.Status}}", n), "running")
        r = self.d("run", "--rm", "--network", "none", tag, "cat", "/live")
        self.assertEqual(r.out, "live\n")

    def test_commit_without_changes_adds_no_layer(self):
        n = self.ran("empty", "true")
        tag = self.image_name("empty")
        self.assertOk(self.d("commit", "--change", "CMD [\"echo\", \"hi\"]", n, tag))
        self.assertEqual(self.inspect("{{len .RootFS.Layers}} {{json .Config.Cmd}}", tag), '1 ["echo","hi"]')
        r = self.d("commit", "--change", "FROM busybox", n, self.image_name("bad"))
        self.assertRc(r, 1)
        self.assertIn("not a valid change command", r.err)

    # ---- update ----
    def test_update_limits_reach_inspect_and_the_cgroup(self):
        n = self.sleeper("upd")
        r = self.d("update", "--memory", "64m", n)
        self.assertRc(r, 1)
        self.assertIn("Memory limit should be smaller than already set memoryswap limit, "
                      "update the memoryswap at the same time", r.err)
        r = self.assertOk(self.d("update", "--memory", "64m", "--memory-swap", "128m", "--cpu-shares", "512",
                                 "--pids-limit", "50", "--restart", "on-failure:3", n))
        self.assertEqual(r.out, n + "\n")
        self.assertEqual(
            self.inspect("{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} "
                         "{{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:"
                         "{{.HostConfig.RestartPolicy.MaximumRetryCount}}", n),
            f"{64 << 20} {128 << 20} 512 50 on-failure:3")
        pid = int(self.inspect("{{.State.Pid}}", n))
        self.assertEqual(read(cgroup_file(pid, "memory", "memory.limit_in_bytes")), str(64 << 20))
        self.assertEqual(read(cgroup_file(pid, "pids", "pids.max")), "50")
        self.assertOk(self.d("update", "--pids-limit", "-1", n))
        self.assertEqual(read(cgroup_file(pid, "pids", "pids.max")), "max")
        self.assertEqual(self.inspect("{{.HostConfig.PidsLimit}}", n), "0")

    def test_update_errors(self):
        n = self.sleeper("rm", "--rm")
        r = self.d("update", "--restart", "always", n)
        self.assertRc(r, 1)
        self.assertIn("Restart policy cannot be updated because AutoRemove is enabled for the container", r.err)
        r = self.d("update", "--memory", "1m", "--memory-swap", "-1", n)
        self.assertRc(r, 1)
        self.assertIn("Minimum memory limit allowed is 6MB", r.err)
        r = self.d("update", n)
        self.assertRc(r, 1)
        self.assertIn("you must provide one or more flags when using this command", r.err)

    def test_update_restart_policy_takes_effect(self):
        n = self.name("pol")
        self.assertOk(self.d("run", "-d", "--network", "none", "--name", n, IMAGE, "sh", "-c", "sleep 1; exit 3"))
        self.assertOk(self.d("update", "--restart", "on-failure:1", n))
        wait_until(lambda: self.inspect("{{.RestartCount}} {{.State.Status}}", n) == "1 exited",
                   timeout=20, what="one restart by the updated policy")

    # ---- system df ----
    def test_system_df(self):
        n = self.ran("df", "head -c 5000 /dev/zero > /blob")
        r = self.assertOk(self.d("system", "df"))
        lines = r.out.splitlines()
        self.assertEqual(lines[0].split(), ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"])
        self.assertEqual([l.split()[0] for l in lines[1:]], ["Images", "Containers", "Local", "Build"])
        images = lines[1].split()
        self.assertGreaterEqual(int(images[1]), 1)
        self.assertGreaterEqual(int(images[2]), 1, "the busybox image has containers")
        r = self.assertOk(self.d("system", "df", "-v"))
        self.assertIn("Images space usage:", r.out)
        repo, tag = IMAGE.split(":")
        self.assertRegex(r.out, rf"(?m)^{re.escape(repo)}\s+{tag}\s")
        self.assertRegex(r.out, rf"(?m)\s5kB\s.*\s{re.escape(n)}$")


harness.per_cli(globals(), "TestChanges", ChangesSuite)

if __name__ == "__main__":
    unittest.main()
