"""docker cp (both directions, "-" for a tar on stdin/stdout) and docker export with
every CLI of harness.docker_clis() (TestArchiveCli20, TestArchiveCli28). Expectations
are Docker's: run.sh --engine docker must pass too. Containers use --network none and
the imported busybox image only.
"""
import io
import os
import subprocess
import tarfile
import unittest

import harness
from harness import IMAGE


class ArchiveSuite:
    """Test methods for each docker CLI (harness.per_cli)."""

    def sleeper(self, stem="s", *opts, script="true"):
        """A running container; its setup script has run when it says "ready"."""
        n = self.name(stem)
        self.assertOk(self.d("run", "-d", "--network", "none", "--name", n, *opts, IMAGE,
                             "sh", "-c", f"{script} && echo ready && sleep 300"))
        harness.wait_until(lambda: "ready" in self.d("logs", n).out, what="setup script")
        return n

    def exec_out(self, n, *cmd):
        return self.assertOk(self.d("exec", n, *cmd)).out

    def local_tree(self, stem):
        d = self.scratch_dir(stem)
        os.makedirs(os.path.join(d, "dir", "sub"))
        with open(os.path.join(d, "file"), "w") as f:
            f.write("hello\n")
        with open(os.path.join(d, "dir", "top"), "w") as f:
            f.write("top\n")
        with open(os.path.join(d, "dir", "sub", "deep"), "w") as f:
            f.write("deep\n")
        os.chmod(os.path.join(d, "file"), 0o640)
        return d

    # ---- to and from a running container ----
    def test_cp_file_in_and_out(self):
        n = self.sleeper("file")
        d = self.local_tree("file")
        self.assertOk(self.d("cp", os.path.join(d, "file"), f"{n}:/tmp/"))
        self.assertEqual(self.exec_out(n, "cat", "/tmp/file"), "hello\n")
        self.assertEqual(self.exec_out(n, "stat", "-c", "%a", "/tmp/file"), "640\n")
        # A destination that does not exist names the copy.
        self.assertOk(self.d("cp", os.path.join(d, "file"), f"{n}:/tmp/renamed"))
        self.assertEqual(self.exec_out(n, "cat", "/tmp/renamed"), "hello\n")
        out = os.path.join(d, "back")
        self.assertOk(self.d("cp", f"{n}:/tmp/renamed", out))
        with open(out) as f:
            self.assertEqual(f.read(), "hello\n")
        # Into an existing local directory: under the source's name.
        self.assertOk(self.d("cp", f"{n}:/etc/passwd", os.path.join(d, "dir")))
        with open(os.path.join(d, "dir", "passwd")) as f:
            self.assertIn("root:x:0:0", f.read())

    def test_cp_dir_in_and_out(self):
        n = self.sleeper("dir")
        d = self.local_tree("dir")
        self.assertOk(self.d("cp", os.path.join(d, "dir"), f"{n}:/tmp"))
        self.assertEqual(sorted(self.exec_out(n, "find", "/tmp/dir").split()),
                         ["/tmp/dir", "/tmp/dir/sub", "/tmp/dir/sub/deep", "/tmp/dir/top"])
        # Contents only ("dir/.") into an existing directory.
        self.assertOk(self.d("exec", n, "mkdir", "/tmp/flat"))
        self.assertOk(self.d("cp", os.path.join(d, "dir") + "/.", f"{n}:/tmp/flat"))
        self.assertEqual(self.exec_out(n, "cat", "/tmp/flat/sub/deep"), "deep\n")
        # Out again, to a new local name.
        out = os.path.join(d, "out")
        self.assertOk(self.d("cp", f"{n}:/tmp/dir", out))
        self.assertEqual(sorted(os.listdir(out)), ["sub", "top"])
        with open(os.path.join(out, "sub", "deep")) as f:
            self.assertEqual(f.read(), "deep\n")

    def test_cp_stopped_container(self):
        n = self.name("stopped")
        self.assertOk(self.d("create", "--network", "none", "--name", n, IMAGE, "true"))
        d = self.local_tree("stopped")
        self.assertOk(self.d("cp", os.path.join(d, "file"), f"{n}:/root/"))
        out = os.path.join(d, "again")
        self.assertOk(self.d("cp", f"{n}:/root/file", out))
        with open(out) as f:
            self.assertEqual(f.read(), "hello\n")
        # The container sees it when it runs.
        r = self.assertOk(self.d("start", "-a", n))
        self.assertEqual(r.out, "")
        self.assertEqual(self.d("inspect", "--format", "{{.State.ExitCode}}", n).out.strip(), "0")

    def test_cp_tar_on_stdin_and_stdout(self):
        n = self.sleeper("std")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            data = b"from stdin\n"
            info = tarfile.TarInfo("piped")
            info.size = len(data)
            info.mode = 0o600
            t.addfile(info, io.BytesIO(data))
        rc, _, err = self.d_bytes("cp", "-", f"{n}:/tmp", input=buf.getvalue())
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.exec_out(n, "cat", "/tmp/piped"), "from stdin\n")
        rc, out, err = self.d_bytes("cp", f"{n}:/tmp/piped", "-")
        self.assertEqual(rc, 0, err)
        with tarfile.open(fileobj=io.BytesIO(out)) as t:
            names = t.getnames()
            self.assertEqual(names, ["piped"])
            self.assertEqual(t.extractfile("piped").read(), b"from stdin\n")

    def test_cp_owners(self):
        # The tar's owners are kept; -a (copyUIDGID) gives the container's user instead.
        n = self.sleeper("owners", "--user", "nobody")
        d = self.local_tree("owners")
        src = os.path.join(d, "file")
        os.chown(src, 1234, 2345)
        self.assertOk(self.d("cp", src, f"{n}:/tmp/plain"))
        self.assertOk(self.d("cp", "-a", src, f"{n}:/tmp/archived"))
        self.assertEqual(self.exec_out(n, "stat", "-c", "%u:%g", "/tmp/plain"), "1234:2345\n")
        self.assertEqual(self.exec_out(n, "stat", "-c", "%u:%g", "/tmp/archived"), "65534:65534\n")

    # ---- errors ----
    def test_cp_missing_path(self):
        n = self.sleeper("missing")
        d = self.local_tree("missing")
        r = self.d("cp", f"{n}:/nope", os.path.join(d, "x"))
        self.assertRc(r, 1)
        # CLI 20.10 says it from the 404 of its stat; later CLIs print the daemon's message.
        self.assertTrue(f"No such container:path: {n}:/nope" in r.err or
                        f"Could not find the file /nope in container {n}" in r.err, r)
        self.assertFalse(os.path.exists(os.path.join(d, "x")))
        r = self.d("cp", os.path.join(d, "file"), f"{n}:/nope/x")
        self.assertRc(r, 1)
        self.assertIn("/nope", r.err)
        r = self.d("cp", os.path.join(d, "file"), "dc-ghost-container:/tmp")
        self.assertRc(r, 1)
        self.assertIn("No such container", r.err)
        r = self.d("cp", os.path.join(d, "file"), f"{n}:/bin/busybox/x")
        self.assertRc(r, 1)

    def test_cp_read_only_rootfs(self):
        n = self.sleeper("ro", "--read-only", script="true")
        d = self.local_tree("ro")
        r = self.d("cp", os.path.join(d, "file"), f"{n}:/tmp")
        self.assertRc(r, 1)
        self.assertIn("container rootfs is marked read-only", r.err)
        self.assertOk(self.d("cp", f"{n}:/etc/passwd", os.path.join(d, "passwd")))

    def test_cp_symlinks_stay_inside(self):
        host = self.scratch_dir("host")
        with open(os.path.join(host, "secret"), "w") as f:
            f.write("host only\n")
        up = "../" * 12 + host.lstrip("/")
        n = self.sleeper("links", script=f"ln -s {host} /abs && ln -s {up} /up && mkdir /drop")
        d = self.local_tree("links")
        for link in ("/abs", "/up"):
            r = self.d("cp", f"{n}:{link}/secret", os.path.join(d, "stolen"))
            self.assertRc(r, 1)
            self.assertFalse(os.path.exists(os.path.join(d, "stolen")))
            r = self.d("cp", os.path.join(d, "file"), f"{n}:{link}/")
            self.assertNotEqual(r.rc, 0, r)
        self.assertEqual(sorted(os.listdir(host)), ["secret"])
        # The link itself is copied as a link.
        self.assertOk(self.d("cp", f"{n}:/abs", os.path.join(d, "link")))
        self.assertEqual(os.readlink(os.path.join(d, "link")), host)

    # ---- export ----
    def test_export(self):
        n = self.sleeper("export", script="echo mine > /root/mine")
        rc, out, err = self.d_bytes("export", n)
        self.assertEqual(rc, 0, err)
        with tarfile.open(fileobj=io.BytesIO(out)) as t:
            names = set(t.getnames())
        self.assertIn("bin/busybox", names)
        self.assertIn("root/mine", names)
        listing = subprocess.run(["tar", "t"], input=out, capture_output=True).stdout.decode()
        self.assertIn("bin/busybox\n", listing)
        d = self.scratch_dir("export")
        path = os.path.join(d, "c.tar")
        self.assertOk(self.d("export", "-o", path, n))
        with tarfile.open(path) as t:
            self.assertIn("root/mine", t.getnames())
        r = self.d("export", "dc-ghost-container")
        self.assertRc(r, 1)
        self.assertIn("No such container: dc-ghost-container", r.err)

    def test_export_stopped(self):
        n = self.name("export-stopped")
        self.assertOk(self.d("create", "--network", "none", "--name", n, IMAGE, "true"))
        rc, out, err = self.d_bytes("export", n)
        self.assertEqual(rc, 0, err)
        with tarfile.open(fileobj=io.BytesIO(out)) as t:
            self.assertIn("bin/busybox", t.getnames())


harness.per_cli(globals(), "TestArchive", ArchiveSuite)

if __name__ == "__main__":
    unittest.main()
