"""The Python Docker SDK as Debian ships it (python3-docker 5.0.3) against the engine.

Both entry points: docker.from_env() (the high-level client, what compose and
most scripts use) and docker.APIClient(version="auto") (the low-level one).
Every container has network_mode "none" and a self.name() name, so tearDown
removes it whatever happens; image tags made here are removed in cleanups.
"""
import datetime
import os
import re
import struct
import time

import docker
import docker.errors

import harness
from harness import IMAGE, wait_until

# A container that runs until stopped: exits 0 on TERM at once.
SERVE = ["sh", "-c", "trap 'exit 0' TERM; echo ready; sleep 1000 & wait"]


def parse_time(s):
    """Docker's RFC 3339 timestamps (up to 9 fractional digits) as float seconds."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", s)
    assert m, s
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    return base.replace(tzinfo=datetime.timezone.utc).timestamp() + float("0." + (m.group(2) or "0"))


def demux_frames(data):
    """Splits a multiplexed (non-tty) attach stream into {1: stdout, 2: stderr}."""
    out = {1: b"", 2: b""}
    while data:
        kind, size = struct.unpack(">BxxxL", data[:8])
        out[kind] += data[8:8 + size]
        data = data[8 + size:]
    return out


class SdkTestCase(harness.EngineTestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = docker.from_env()
        cls.low = docker.APIClient(base_url=os.environ["DOCKER_HOST"], version="auto")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.low.close()

    def run_detached(self, command=SERVE, **kw):
        kw.setdefault("network_mode", "none")
        c = self.client.containers.run(IMAGE, command, detach=True, name=self.name(), **kw)
        return c

    def serving(self, **kw):
        """A running container whose command has printed its first line."""
        c = self.run_detached(**kw)
        wait_until(lambda: b"ready" in c.logs(), what="container to start")
        c.reload()
        return c

    def tag(self, repo, tag):
        self.assertTrue(self.client.images.get(IMAGE).tag(repo, tag))
        self.addCleanup(self._untag, f"{repo}:{tag}")
        return f"{repo}:{tag}"

    def _untag(self, ref):
        try:
            self.client.images.remove(ref)
        except docker.errors.ImageNotFound:
            pass

    def uniq(self, stem):
        return f"dcsdk{os.getpid() % 1000}/{stem}"


class SystemTest(SdkTestCase):
    def test_ping(self):
        self.assertIs(self.client.ping(), True)
        self.assertIs(self.low.ping(), True)

    def test_version_negotiated(self):
        """version="auto" adopts the engine's ApiVersion; both clients see the same version."""
        v = self.client.version()
        self.assertRegex(v["ApiVersion"], r"^1\.\d+$")
        self.assertEqual(self.low.api_version, v["ApiVersion"])
        self.assertEqual(self.low.version()["ApiVersion"], v["ApiVersion"])
        self.assertEqual(v["Os"], "linux")
        self.assertIn(v["Arch"], ("amd64", "arm64"))
        self.assertIn("MinAPIVersion", v)
        # from_env() without a version negotiates too (docker-py 5: None means "auto").
        self.assertEqual(self.client.api.api_version, v["ApiVersion"])

    def test_info_counts(self):
        before = self.client.info()
        self.assertEqual(before["OSType"], "linux")
        self.assertGreaterEqual(before["Images"], 1)
        c = self.serving()
        after = self.low.info()
        self.assertEqual(after["Containers"], before["Containers"] + 1)
        self.assertEqual(after["ContainersRunning"], before["ContainersRunning"] + 1)
        c.pause()
        self.assertEqual(self.client.info()["ContainersPaused"], before["ContainersPaused"] + 1)
        c.unpause()


class ImageTest(SdkTestCase):
    def test_list_and_get(self):
        img = self.client.images.get(IMAGE)
        self.assertRegex(img.id, r"^sha256:[0-9a-f]{64}$")
        self.assertIn(IMAGE, img.tags)
        listed = self.client.images.list()
        self.assertIn(img.id, [i.id for i in listed])
        by_name = self.client.images.list(name=IMAGE.split(":")[0])
        self.assertEqual([i.id for i in by_name], [img.id])
        self.assertEqual(img.attrs["Os"], "linux")
        low = self.low.inspect_image(IMAGE)
        self.assertEqual(low["Id"], img.id)

    def test_tag_and_remove(self):
        img = self.client.images.get(IMAGE)
        ref = self.tag(self.uniq("tagged"), "v1")
        self.assertEqual(self.client.images.get(ref).id, img.id)
        self.assertIn(ref, self.client.images.get(IMAGE).tags)
        self.assertEqual([i.id for i in self.client.images.list(name=self.uniq("tagged"))], [img.id])
        # Removing one of several tags only untags.
        self.client.images.remove(ref)
        with self.assertRaises(docker.errors.ImageNotFound):
            self.client.images.get(ref)
        self.assertEqual(self.client.images.get(IMAGE).id, img.id)
        self.assertEqual(self.client.images.list(name=self.uniq("tagged")), [])

    def test_save_load_round_trip(self):
        """images.get(...).save() is a tar that images.load() brings back, tag included."""
        img = self.client.images.get(IMAGE)
        ref = self.tag(self.uniq("saved"), "1")
        tar = b"".join(self.client.images.get(ref).save(named=ref))
        self.assertGreater(len(tar), 1024)
        self.client.images.remove(ref)
        with self.assertRaises(docker.errors.ImageNotFound):
            self.client.images.get(ref)
        loaded = self.client.images.load(tar)
        self.assertEqual([i.id for i in loaded], [img.id])
        self.assertIn(ref, loaded[0].tags)
        self.assertEqual(self.client.images.get(ref).id, img.id)


class RunTest(SdkTestCase):
    def test_run_attached_returns_stdout(self):
        out = self.client.containers.run(IMAGE, ["sh", "-c", "echo out; echo err >&2"],
                                         network_mode="none", name=self.name(), remove=True)
        self.assertEqual(out, b"out\n")

    def test_run_attached_stdout_and_stderr(self):
        n = self.name()
        out = self.client.containers.run(IMAGE, ["sh", "-c", "echo out; sleep 0.1; echo err >&2"],
                                         network_mode="none", name=n, stderr=True)
        self.assertEqual(out, b"out\nerr\n")
        # Without remove the container stays, exited 0.
        c = self.client.containers.get(n)
        self.assertEqual((c.status, c.attrs["State"]["ExitCode"]), ("exited", 0))

    def test_run_failure_raises_container_error(self):
        n = self.name()
        cmd = ["sh", "-c", "echo out; echo oops >&2; exit 3"]
        with self.assertRaises(docker.errors.ContainerError) as cm:
            self.client.containers.run(IMAGE, cmd, network_mode="none", name=n, remove=True)
        e = cm.exception
        self.assertEqual(e.exit_status, 3)
        self.assertEqual(e.stderr, b"oops\n")
        self.assertEqual(e.command, cmd)
        self.assertEqual(e.image, IMAGE)
        with self.assertRaises(docker.errors.NotFound):
            self.client.containers.get(n)

    def test_run_detached(self):
        c = self.run_detached(environment={"FOO": "bar"}, labels={"dc.test": "detached"},
                              working_dir="/tmp")
        self.assertIsInstance(c, docker.models.containers.Container)
        self.assertRegex(c.id, r"^[0-9a-f]{64}$")
        c.reload()
        self.assertEqual(c.status, "running")
        self.assertEqual(c.name, self._names[-1])
        self.assertEqual(c.labels, {"dc.test": "detached"})
        self.assertIn("FOO=bar", c.attrs["Config"]["Env"])
        self.assertEqual(c.attrs["Config"]["WorkingDir"], "/tmp")
        self.assertEqual(c.attrs["HostConfig"]["NetworkMode"], "none")
        self.assertEqual(c.image.id, self.client.images.get(IMAGE).id)

    def test_logs_stream(self):
        c = self.run_detached(["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.1; done; echo e >&2"])
        chunks = list(c.logs(stream=True))
        self.assertEqual(b"".join(chunks), b"line1\nline2\nline3\ne\n")
        self.assertEqual(c.wait(), {"Error": None, "StatusCode": 0})
        self.assertEqual(c.logs(stderr=False), b"line1\nline2\nline3\n")
        self.assertEqual(c.logs(stdout=False), b"e\n")
        # tail counts lines of both streams, then the stream filter applies.
        self.assertEqual(c.logs(tail=2), b"line3\ne\n")
        self.assertEqual(c.logs(tail=2, stderr=False), b"line3\n")
        self.assertEqual(c.logs(tail=1, stderr=False), b"")
        stamped = c.logs(timestamps=True, stderr=False).decode().splitlines()
        self.assertEqual(len(stamped), 3)
        for line in stamped:
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line\d$")

    def test_wait(self):
        c = self.run_detached(["sh", "-c", "sleep 0.2; exit 4"])
        self.assertEqual(c.wait(timeout=20), {"Error": None, "StatusCode": 4})
        self.assertEqual(self.low.wait(c.id), {"Error": None, "StatusCode": 4})
        c.reload()
        self.assertEqual((c.status, c.attrs["State"]["ExitCode"]), ("exited", 4))


class ExecTest(SdkTestCase):
    def setUp(self):
        super().setUp()
        self.c = self.serving()

    def test_exec_run(self):
        r = self.c.exec_run(["sh", "-c", "echo hi; exit 5"])
        self.assertEqual((r.exit_code, r.output), (5, b"hi\n"))
        r = self.c.exec_run("true")
        self.assertEqual((r.exit_code, r.output), (0, b""))

    def test_exec_environment_workdir_user(self):
        r = self.c.exec_run(["sh", "-c", "echo $FOO; pwd; id -u; id -g"],
                            environment={"FOO": "bar"}, workdir="/tmp", user="1000:1000")
        self.assertEqual((r.exit_code, r.output), (0, b"bar\n/tmp\n1000\n1000\n"))
        r = self.c.exec_run(["sh", "-c", "id -un"], user="nobody")
        self.assertEqual((r.exit_code, r.output), (0, b"nobody\n"))

    def test_exec_demux(self):
        r = self.c.exec_run(["sh", "-c", "echo out; echo err >&2; exit 2"], demux=True)
        self.assertEqual(r.exit_code, 2)
        self.assertEqual(r.output, (b"out\n", b"err\n"))
        r = self.c.exec_run(["sh", "-c", "echo only-err >&2"], demux=True)
        self.assertEqual(r.output, (None, b"only-err\n"))
        # Without demux both streams are mixed into one.
        r = self.c.exec_run(["sh", "-c", "echo out; echo err >&2"])
        self.assertEqual(sorted(r.output.splitlines()), [b"err", b"out"])

    def test_exec_unattached_streams(self):
        """exec_run(stderr=False) creates the exec with AttachStderr false: Docker drops that stream."""
        cmd = ["sh", "-c", "echo out; echo err >&2"]
        self.assertEqual(self.c.exec_run(cmd, stderr=False).output, b"out\n")
        self.assertEqual(self.c.exec_run(cmd, stdout=False).output, b"err\n")
        self.assertEqual(self.c.exec_run(cmd, stderr=False, demux=True).output, (b"out\n", None))

    def test_exec_stream(self):
        r = self.c.exec_run(["sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.05; done"], stream=True)
        self.assertIsNone(r.exit_code)
        self.assertEqual(b"".join(r.output), b"1\n2\n3\n")

    def test_exec_low_level(self):
        e = self.low.exec_create(self.c.id, ["sh", "-c", "echo low; exit 6"])
        self.assertRegex(e["Id"], r"^[0-9a-f]{64}$")
        self.assertEqual(self.low.exec_start(e["Id"]), b"low\n")
        info = self.low.exec_inspect(e["Id"])
        self.assertEqual((info["ExitCode"], info["Running"]), (6, False))
        self.assertEqual(info["ContainerID"], self.c.id)


class LifecycleTest(SdkTestCase):
    def state(self, c):
        c.reload()
        return c.attrs["State"]

    def test_stop_start_restart(self):
        c = self.serving()
        c.stop(timeout=5)
        s = self.state(c)
        self.assertEqual((c.status, s["Running"], s["ExitCode"]), ("exited", False, 0))
        c.start()
        self.assertEqual(self.state(c)["Status"], "running")
        started = self.state(c)["StartedAt"]
        c.restart(timeout=5)
        s = self.state(c)
        self.assertEqual(s["Status"], "running")
        self.assertGreater(parse_time(s["StartedAt"]), parse_time(started))

    def test_kill(self):
        c = self.serving()
        c.kill(signal="SIGTERM")
        self.assertEqual(c.wait()["StatusCode"], 0)
        c.start()
        c.kill()
        self.assertEqual(c.wait()["StatusCode"], 137)
        self.assertEqual(self.state(c)["ExitCode"], 137)
        # Killing a stopped container is a conflict.
        with self.assertRaises(docker.errors.APIError) as cm:
            c.kill()
        self.assertEqual(cm.exception.status_code, 409)

    def test_pause_unpause(self):
        c = self.serving()
        c.pause()
        s = self.state(c)
        self.assertEqual((c.status, s["Paused"], s["Running"]), ("paused", True, True))
        c.unpause()
        s = self.state(c)
        self.assertEqual((c.status, s["Paused"]), ("running", False))

    def test_rename(self):
        c = self.serving()
        new = self.name("renamed")
        c.rename(new)
        c.reload()
        self.assertEqual(c.name, new)
        self.assertEqual(self.client.containers.get(new).id, c.id)
        with self.assertRaises(docker.errors.NotFound):
            self.client.containers.get(self._names[-2])

    def test_remove(self):
        c = self.serving()
        with self.assertRaises(docker.errors.APIError) as cm:
            c.remove()
        self.assertEqual(cm.exception.status_code, 409)
        c.remove(force=True)
        with self.assertRaises(docker.errors.NotFound):
            c.reload()

    def test_list_filters(self):
        label = f"dc.sdk.list={os.getpid()}"
        running = self.serving(labels={"dc.sdk.list": str(os.getpid()), "role": "run"})
        exited = self.run_detached(["true"], labels={"dc.sdk.list": str(os.getpid()), "role": "exit"})
        exited.wait()
        ids = lambda cs: sorted(c.id for c in cs)
        self.assertEqual(ids(self.client.containers.list(filters={"label": label})), [running.id])
        self.assertEqual(ids(self.client.containers.list(all=True, filters={"label": label})),
                         sorted([running.id, exited.id]))
        self.assertEqual(ids(self.client.containers.list(
            all=True, filters={"label": [label, "role=exit"]})), [exited.id])
        self.assertEqual(ids(self.client.containers.list(
            all=True, filters={"label": label, "status": "exited"})), [exited.id])
        self.assertEqual(ids(self.client.containers.list(
            all=True, filters={"name": running.name})), [running.id])
        running.pause()
        self.assertEqual(ids(self.client.containers.list(filters={"status": "paused", "label": label})),
                         [running.id])
        running.unpause()
        low = self.low.containers(all=True, filters={"label": label})
        self.assertEqual(sorted(c["Id"] for c in low), sorted([running.id, exited.id]))
        self.assertEqual({c["Id"]: c["State"] for c in low}, {running.id: "running", exited.id: "exited"})


class AttachTest(SdkTestCase):
    def test_attach_stream(self):
        c = self.client.containers.create(IMAGE, ["sh", "-c", "sleep 0.3; echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three"],
                                          network_mode="none", name=self.name())
        stream = c.attach(stream=True, stdout=True, stderr=True)
        c.start()
        self.assertEqual(b"".join(stream), b"one\ntwo\nthree\n")
        self.assertEqual(c.wait()["StatusCode"], 0)

    def test_attach_socket_stdin(self):
        """attach_socket gives the raw hijacked connection: stdin in, multiplexed frames out."""
        c = self.client.containers.create(IMAGE, ["sh", "-c", "read x; echo got $x; echo e >&2; exit 2"],
                                          stdin_open=True, network_mode="none", name=self.name())
        c.start()
        s = self.low.attach_socket(c.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        try:
            s._sock.sendall(b"hello\n")
            data = b""
            while chunk := s.read(4096):
                data += chunk
        finally:
            s.close()
        self.assertEqual(demux_frames(data), {1: b"got hello\n", 2: b"e\n"})
        self.assertEqual(c.wait()["StatusCode"], 2)


class EventsTest(SdkTestCase):
    def test_container_events(self):
        since = time.time()
        c = self.run_detached(["sh", "-c", "exit 3"])
        c.wait()
        c.remove()
        until = time.time() + 0.2
        events = list(self.client.events(decode=True, since=since, until=until,
                                         filters={"container": c.id}))
        actions = [e["Action"] for e in events]
        self.assertEqual(actions, ["create", "start", "die", "destroy"])
        for e in events:
            self.assertEqual(e["Type"], "container")
            self.assertEqual(e["Actor"]["ID"], c.id)
            self.assertEqual(e["Actor"]["Attributes"]["name"], c.name)
            self.assertEqual(e["Actor"]["Attributes"]["image"], IMAGE)
            self.assertGreaterEqual(e["time"], int(since))
            self.assertIsInstance(e["timeNano"], int)
        self.assertEqual(events[2]["Actor"]["Attributes"]["exitCode"], "3")

    def test_event_filter_by_type_and_event(self):
        since = time.time()
        c = self.run_detached(["true"], labels={"dc.events": "yes"})
        c.wait()
        until = time.time() + 0.2
        events = list(self.client.events(decode=True, since=since, until=until,
                                         filters={"event": "die", "label": "dc.events=yes"}))
        self.assertEqual([(e["Action"], e["Actor"]["ID"]) for e in events], [("die", c.id)])
        self.assertEqual(events[0]["Actor"]["Attributes"]["dc.events"], "yes")

    def test_events_stream_live(self):
        """Without until the stream stays open and delivers events as they happen."""
        stream = self.client.events(decode=True, filters={"type": "container", "event": "start"})
        try:
            c = self.run_detached(["true"])
            e = next(stream)
        finally:
            stream.close()
        self.assertEqual((e["Action"], e["Actor"]["ID"]), ("start", c.id))


class ErrorsTest(SdkTestCase):
    def test_not_found(self):
        with self.assertRaises(docker.errors.NotFound) as cm:
            self.client.containers.get("no-such-container-dc")
        self.assertEqual(cm.exception.status_code, 404)
        self.assertIn("No such container: no-such-container-dc", cm.exception.explanation)
        with self.assertRaises(docker.errors.ImageNotFound) as cm:
            self.client.images.get("no-such-image-dc:none")
        self.assertEqual(cm.exception.status_code, 404)
        with self.assertRaises(docker.errors.NotFound):
            self.low.inspect_container("no-such-container-dc")

    def test_run_unknown_image(self):
        """run creates, gets 404, and (no pulls here) is told the image is missing."""
        with self.assertRaises(docker.errors.ImageNotFound):
            self.client.containers.create("dcsdk-missing/none:latest", "true", network_mode="none",
                                          name=self.name())

    def test_name_conflict(self):
        c = self.client.containers.create(IMAGE, "true", network_mode="none", name=self.name())
        with self.assertRaises(docker.errors.APIError) as cm:
            self.client.containers.create(IMAGE, "true", network_mode="none", name=c.name)
        e = cm.exception
        self.assertEqual(e.status_code, 409)
        self.assertTrue(e.is_client_error())
        self.assertIn(f'The container name "/{c.name}" is already in use by container "{c.id}"',
                      e.explanation)
