"""Shared helpers for the docker_clients suites (run them through run.sh).

run.sh starts the engine and exports DC_ENGINE (stack|docker), DC_SOCKET,
DC_IMAGE, DC_ROOTFS, DC_WORK, DOCKER_HOST, DOCKER_CONFIG and HOME. Tests only
use the standard library plus the clients under test.
"""
import http.client
import itertools
import json
import os
import shutil
import socket
import subprocess
import time
import unittest

ENGINE = os.environ.get("DC_ENGINE", "stack")
SOCKET = os.environ["DC_SOCKET"]
IMAGE = os.environ["DC_IMAGE"]
ROOTFS = os.environ["DC_ROOTFS"]
WORK = os.environ["DC_WORK"]

DOCKER_20 = "/usr/bin/docker"        # Debian docker.io 20.10
DOCKER_28 = "/usr/local/bin/docker"  # the machines' newer CLI, when present


def docker_clis():
    """(label, path) of every docker CLI to test, oldest first."""
    found = [("cli20", DOCKER_20)]
    if os.access(DOCKER_28, os.X_OK) and os.path.realpath(DOCKER_28) != os.path.realpath(DOCKER_20):
        found.append(("cli28", DOCKER_28))
    return found


class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err

    def __repr__(self):
        return f"$ {' '.join(self.args)}\n  rc={self.rc}\n  stdout={self.out!r}\n  stderr={self.err!r}"


def run(args, *, input=None, timeout=60, cwd=None, env=None):
    """Runs a client command; never raises on a non-zero exit (tests check rc)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    p = subprocess.run(args, input=input, capture_output=True, text=True, timeout=timeout,
                       cwd=cwd, env=full_env, stdin=None if input is not None else subprocess.DEVNULL)
    return Result(list(args), p.returncode, p.stdout, p.stderr)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"HTTP {self.status} {self.body[:300]!r}"


def api(method, path, body=None, headers=None, timeout=60):
    """One request to the engine's socket; JSON-encodes dict/list bodies."""
    conn = _UnixConnection(SOCKET, timeout)
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def raw_connect():
    """A connected unix socket to the engine, for hand-written HTTP."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(SOCKET)
    return s


def wait_until(predicate, timeout=15.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def container_json(name):
    r = api("GET", f"/containers/{name}/json")
    return r.json() if r.status == 200 else None


def container_state(name):
    c = container_json(name)
    return c["State"] if c else None


_counter = itertools.count()


class EngineTestCase(unittest.TestCase):
    """Names made with self.name() are force-removed after each test, so a
    failing test leaves no container behind for the next one."""
    maxDiff = None

    def setUp(self):
        self._names = []

    def tearDown(self):
        for n in self._names:
            api("DELETE", f"/containers/{n}?force=1&v=1")

    def name(self, stem="c"):
        n = f"dc{os.getpid() % 1000}-{stem}-{next(_counter)}"
        self._names.append(n)
        return n

    def assertRc(self, result, rc):
        self.assertEqual(result.rc, rc, f"unexpected exit code:\n{result!r}")

    def assertOk(self, result):
        self.assertRc(result, 0)
        return result

    def scratch_dir(self, stem):
        d = os.path.join(WORK, f"{stem}-{next(_counter)}")
        os.makedirs(d)
        self.addCleanup(shutil.rmtree, d, True)
        return d


class DockerCliCase(EngineTestCase):
    """A test case driving one docker CLI (self.docker, labelled self.cli); per_cli()
    makes one subclass per CLI of docker_clis()."""
    docker = None
    cli = None

    def d(self, *args, input=None, timeout=60):
        return run([self.docker, *args], input=input, timeout=timeout)

    def d_bytes(self, *args, input=None, timeout=60):
        """The raw bytes (text mode would turn a tty's "\\r\\n" into "\\n")."""
        p = subprocess.run([self.docker, *args], input=input, capture_output=True, timeout=timeout,
                           stdin=None if input is not None else subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr

    def inspect(self, fmt, name):
        return self.assertOk(self.d("inspect", "--format", fmt, name)).out.rstrip("\n")


def per_cli(namespace, prefix, suite):
    """Defines PREFIX20, PREFIX28 ... in `namespace`: `suite`'s tests for each docker CLI."""
    for label, path in docker_clis():
        name = prefix + label.removeprefix("cli")
        namespace[name] = type(name, (suite, DockerCliCase), {"docker": path, "cli": label})
