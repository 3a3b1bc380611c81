"""The HTTP details real Docker clients depend on, sent by hand.

Each was seen used by a client against Docker: the CLI's HEAD /_ping, version
negotiation, `docker run`'s call order over a hijacked attach, the SDK's query
booleans, inspect's probes of routes an engine may not have, tar uploads and
Docker's status codes. Run through run.sh (against stack or a private dockerd).
"""
import json
import re
import socket
import struct
import time
import unittest
import urllib.parse

from harness import ENGINE, IMAGE, ROOTFS, EngineTestCase, api, raw_connect, wait_until


def create(name, cmd, **extra):
    body = {"Image": IMAGE, "Cmd": cmd, "HostConfig": {"NetworkMode": "none"}}
    body.update(extra)
    r = api("POST", f"/containers/create?name={name}", body)
    assert r.status == 201, r
    return r.json()["Id"]


def read_http_head(sock):
    """Reads up to the blank line; returns (status, headers, bytes already read past it)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"connection closed inside the response head: {buf!r}")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def read_to_eof(sock, initial=b""):
    data = initial
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def demux(data):
    """Docker's multiplexed stream: [stream u8][0 0 0][len u32 BE] + payload."""
    out = {1: b"", 2: b""}
    while data:
        assert len(data) >= 8, f"truncated frame header: {data!r}"
        stream, size = data[0], struct.unpack(">I", data[4:8])[0]
        assert data[1:4] == b"\0\0\0", f"bad frame header {data[:8]!r}"
        out[stream] += data[8:8 + size]
        data = data[8 + size:]
    return out


def hijack(path, body=b""):
    """POST with Upgrade: tcp as the docker CLI sends it; returns (sock, status, headers, rest)."""
    s = raw_connect()
    content_type = "application/json" if body else "text/plain"
    req = (f"POST {path} HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: wire-test\r\n"
           f"Content-Type: {content_type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    s.sendall(req)
    status, headers, rest = read_http_head(s)
    return s, status, headers, rest


class Ping(EngineTestCase):
    def test_head_ping_carries_the_negotiation_headers(self):
        r = api("HEAD", "/_ping")
        self.assertEqual(r.status, 200)
        self.assertRegex(r.headers.get("api-version", ""), r"^1\.\d+$")
        self.assertEqual(r.headers.get("ostype"), "linux")
        self.assertEqual(r.headers.get("docker-experimental"), "false")
        self.assertIn("no-cache", r.headers.get("cache-control", ""))
        self.assertEqual(r.headers.get("pragma"), "no-cache")
        self.assertEqual(r.body, b"")

    def test_get_ping_says_ok(self):
        r = api("GET", "/_ping")
        self.assertEqual((r.status, r.body), (200, b"OK"))
        self.assertIn("api-version", r.headers)


class Versions(EngineTestCase):
    def test_versioned_and_unversioned_paths_answer_alike(self):
        plain = api("GET", "/version")
        self.assertEqual(plain.status, 200)
        top = plain.json()["ApiVersion"]
        for v in ("1.24", "1.30", "1.40", "1.41", top):
            r = api("GET", f"/v{v}/version")
            self.assertEqual(r.status, 200, f"/v{v}/version: {r}")
            self.assertEqual(r.json()["ApiVersion"], top)
            self.assertEqual(r.headers.get("api-version"), top)

    def test_both_clis_versions_are_accepted(self):
        """CLI 20.10 speaks 1.41; CLI 28 negotiates down from 1.50 to what _ping says."""
        v = api("GET", "/version").json()
        # Docker 20.10 goes down to 1.12, Docker 25+ to 1.24: both serve every client since.
        self.assertLessEqual(tuple(map(int, v["MinAPIVersion"].split("."))), (1, 24))
        major, minor = map(int, v["ApiVersion"].split("."))
        self.assertEqual(major, 1)
        self.assertGreaterEqual(minor, 41)

    def test_too_old_and_too_new_versions_are_bad_requests(self):
        r = api("GET", "/v1.11/version")
        self.assertEqual(r.status, 400)
        # Docker 20.10 answers this one in plain text, later Dockers (and stack) in JSON.
        text = r.body.decode().strip()
        message = r.json()["message"] if text.startswith("{") else text
        self.assertRegex(message,
                         r"^client version 1\.11 is too old\. Minimum supported API version is 1\.(12|24), "
                         r"please upgrade your client to a newer version$")
        r = api("GET", "/v1.99/version")
        self.assertEqual(r.status, 400)
        self.assertRegex(r.json()["message"],
                         r"^client version 1\.99 is too new\. Maximum supported API version is 1\.\d+$")


class MissingObjects(EngineTestCase):
    """inspect probes every kind of object; each miss must be a 404 with a JSON message."""

    def check_404(self, path, message_re):
        r = api("GET", path)
        self.assertEqual(r.status, 404, f"{path}: {r}")
        self.assertTrue(r.headers.get("content-type", "").startswith("application/json"), r.headers)
        self.assertRegex(r.json()["message"], message_re)

    def test_unknown_objects(self):
        self.check_404("/containers/nosuch-x/json", r"^No such container: nosuch-x$")
        self.check_404("/images/nosuch-x/json", r"[Nn]o such image: nosuch-x(:latest)?$")
        self.check_404("/v1.41/plugins/nosuch-x/json", r"nosuch-x")
        self.check_404("/v1.41/networks/nosuch-x", r"nosuch-x")
        self.check_404("/v1.41/volumes/nosuch-x", r"nosuch-x")
        self.check_404("/containers/nosuch-x/logs?stdout=1", r"^No such container: nosuch-x$")

    def test_unknown_route(self):
        self.check_404("/v1.41/no/such/route", r"page not found")


class QueryBooleans(EngineTestCase):
    """The Python SDK writes booleans as 1/0, True/False; Go clients as 1/true."""

    def test_all_flag_spellings(self):
        n = self.name("stopped")
        create(n, ["true"])
        for value, listed in (("1", True), ("true", True), ("True", True),
                              ("0", False), ("false", False), ("False", False)):
            r = api("GET", f"/containers/json?all={value}")
            self.assertEqual(r.status, 200)
            names = [x["Names"][0] for x in r.json()]
            self.assertEqual(f"/{n}" in names, listed, f"all={value}: {names}")

    def test_sdk_listing_query(self):
        """docker-compose lists with limit=-1, size=0, trunc_cmd=0 and label filters."""
        n = self.name("labelled")
        create(n, ["true"], Labels={"dc.test": n, "dc.other": "x"})
        other = self.name("unlabelled")
        create(other, ["true"])
        filters = json.dumps({"label": [f"dc.test={n}"]})
        q = urllib.parse.urlencode({"limit": -1, "all": 1, "size": 0, "trunc_cmd": 0, "filters": filters})
        r = api("GET", f"/v1.30/containers/json?{q}")
        self.assertEqual(r.status, 200, r)
        self.assertEqual([x["Names"] for x in r.json()], [[f"/{n}"]])
        self.assertEqual(r.json()[0]["Labels"], {"dc.test": n, "dc.other": "x"})
        # Filters as the old map-of-bools form some clients still send.
        old = json.dumps({"label": {f"dc.test={n}": True}})
        r = api("GET", "/containers/json?all=1&filters=" + urllib.parse.quote(old))
        self.assertEqual([x["Names"] for x in r.json()], [[f"/{n}"]])


class DockerRunSequence(EngineTestCase):
    """`docker run` without -d: create, hijacked attach, wait (headers flushed), start."""

    def test_attach_wait_start_without_tty(self):
        n = self.name("run")
        cid = create(n, ["sh", "-c", "echo out; echo err >&2; exit 5"],
                     AttachStdout=True, AttachStderr=True)
        s, status, headers, rest = hijack(f"/v1.41/containers/{cid}/attach?stream=1&stdout=1&stderr=1")
        self.assertEqual(status, 101)
        self.assertEqual(headers.get("upgrade"), "tcp")
        self.assertEqual(headers.get("connection", "").lower(), "upgrade")
        self.assertEqual(headers.get("content-type"), "application/vnd.docker.multiplexed-stream"
                         if ENGINE != "docker" or "multiplexed" in headers.get("content-type", "")
                         else "application/vnd.docker.raw-stream")
        # The wait's status line and headers come before the container even starts.
        w = raw_connect()
        w.sendall(f"POST /v1.41/containers/{cid}/wait?condition=next-exit HTTP/1.1\r\n"
                  f"Host: api\r\nContent-Length: 0\r\n\r\n".encode())
        wstatus, wheaders, wrest = read_http_head(w)
        self.assertEqual(wstatus, 200)
        self.assertEqual(wheaders.get("content-type"), "application/json")
        r = api("POST", f"/containers/{cid}/start")
        self.assertEqual(r.status, 204, r)
        out = demux(read_to_eof(s, rest))
        s.close()
        self.assertEqual(out, {1: b"out\n", 2: b"err\n"})
        body = read_to_eof(w, wrest) if "content-length" in wheaders else read_chunked(w, wrest)
        w.close()
        self.assertEqual(json.loads(body)["StatusCode"], 5)
        # Docker logs the attach when asked, before the start.
        q = urllib.parse.urlencode({"since": int(time.time()) - 60, "until": int(time.time()) + 1,
                                    "filters": json.dumps({"container": [cid]})})
        events = [json.loads(line) for line in api("GET", f"/events?{q}").body.splitlines() if line.strip()]
        self.assertEqual([ev["Action"] for ev in events], ["create", "attach", "start", "die"])

    def test_attach_with_tty_is_raw(self):
        n = self.name("tty")
        cid = create(n, ["sh", "-c", "echo hi"], Tty=True, AttachStdout=True, AttachStderr=True)
        s, status, headers, rest = hijack(f"/containers/{cid}/attach?stream=1&stdout=1&stderr=1")
        self.assertEqual(status, 101)
        self.assertEqual(headers.get("content-type"), "application/vnd.docker.raw-stream")
        self.assertEqual(api("POST", f"/containers/{cid}/start").status, 204)
        self.assertEqual(read_to_eof(s, rest), b"hi\r\n")
        s.close()

    def test_stdin_half_close_ends_the_input(self):
        """The CLI closes its write side when stdin ends; `cat` then sees EOF and exits."""
        n = self.name("stdin")
        cid = create(n, ["cat"], OpenStdin=True, StdinOnce=True, AttachStdin=True,
                     AttachStdout=True, AttachStderr=True)
        s, status, headers, rest = hijack(
            f"/containers/{cid}/attach?stream=1&stdin=1&stdout=1&stderr=1")
        self.assertEqual(status, 101)
        self.assertEqual(api("POST", f"/containers/{cid}/start").status, 204)
        s.sendall(b"through stdin\n")
        s.shutdown(socket.SHUT_WR)
        out = demux(read_to_eof(s, rest))
        s.close()
        self.assertEqual(out[1], b"through stdin\n")
        wait_until(lambda: api("GET", f"/containers/{cid}/json").json()["State"]["Status"] == "exited",
                   what="cat to exit after stdin closed")
        self.assertEqual(api("GET", f"/containers/{cid}/json").json()["State"]["ExitCode"], 0)

    def test_wait_removed_answers_after_autoremove(self):
        n = self.name("autorm")
        cid = create(n, ["true"], HostConfig={"NetworkMode": "none", "AutoRemove": True})
        w = raw_connect()
        w.sendall(f"POST /containers/{cid}/wait?condition=removed HTTP/1.1\r\n"
                  f"Host: api\r\nContent-Length: 0\r\n\r\n".encode())
        wstatus, wheaders, wrest = read_http_head(w)
        self.assertEqual(wstatus, 200)
        self.assertEqual(api("POST", f"/containers/{cid}/start").status, 204)
        body = read_chunked(w, wrest) if "content-length" not in wheaders else read_to_eof(w, wrest)
        w.close()
        self.assertEqual(json.loads(body)["StatusCode"], 0)
        self.assertEqual(api("GET", f"/containers/{cid}/json").status, 404)


def read_chunked(sock, initial):
    """The body of a chunked response whose head was already read."""
    data = initial
    body = b""
    while True:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                raise AssertionError(f"EOF inside chunked body: {data!r}")
            data += chunk
        size_line, data = data.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0], 16)
        while len(data) < size + 2:
            chunk = sock.recv(4096)
            if not chunk:
                raise AssertionError("EOF inside a chunk")
            data += chunk
        if size == 0:
            return body
        body += data[:size]
        data = data[size + 2:]


class ExecTerminal(EngineTestCase):
    """`docker exec -it`: a real terminal in the container, sized by /exec/{id}/resize."""

    def test_tty_exec_gets_a_terminal_and_its_size(self):
        n = self.name("exectty")
        create(n, ["sleep", "30"])
        self.assertEqual(api("POST", f"/containers/{n}/start").status, 204)
        r = api("POST", f"/containers/{n}/exec", {
            "Cmd": ["sh", "-c", "test -t 0 && test -t 1 && echo terminal; sleep 0.5; stty size; exit 4"],
            "Tty": True, "AttachStdin": True, "AttachStdout": True, "AttachStderr": True})
        self.assertEqual(r.status, 201, r)
        eid = r.json()["Id"]
        s, status, headers, rest = hijack(f"/exec/{eid}/start", json.dumps({"Detach": False, "Tty": True}).encode())
        self.assertEqual(status, 101)
        self.assertEqual(headers.get("content-type"), "application/vnd.docker.raw-stream")
        self.assertEqual(api("POST", f"/exec/{eid}/resize?h=31&w=97").status, 200)
        out = read_to_eof(s, rest)
        s.close()
        self.assertEqual(out, b"terminal\r\n31 97\r\n")
        wait_until(lambda: api("GET", f"/exec/{eid}/json").json()["Running"] is False, what="exec to finish")
        self.assertEqual(api("GET", f"/exec/{eid}/json").json()["ExitCode"], 4)

    def test_tty_exec_takes_input(self):
        n = self.name("exectty-in")
        create(n, ["sleep", "30"])
        self.assertEqual(api("POST", f"/containers/{n}/start").status, 204)
        r = api("POST", f"/containers/{n}/exec", {"Cmd": ["sh", "-c", "read line; echo got:$line"], "Tty": True,
                                                 "AttachStdin": True, "AttachStdout": True})
        eid = r.json()["Id"]
        s, status, _, rest = hijack(f"/exec/{eid}/start", json.dumps({"Detach": False, "Tty": True}).encode())
        self.assertEqual(status, 101)
        s.sendall(b"hello\r")
        out = read_to_eof(s, rest)
        s.close()
        # The terminal echoes the input, then the command's answer (onlcr: \r\n).
        self.assertEqual(out, b"hello\r\ngot:hello\r\n")


class Uploads(EngineTestCase):
    def test_import_and_load_take_application_x_tar(self):
        tag = f"dcwire/imported:{int(time.time() * 1000) % 100000}"
        repo, t = tag.split(":")
        with open(ROOTFS, "rb") as f:
            tar = f.read()
        r = api("POST", f"/images/create?fromSrc=-&repo={repo}&tag={t}", tar,
                {"Content-Type": "application/x-tar"})
        self.addCleanup(api, "DELETE", f"/images/{tag}?force=1")
        self.assertEqual(r.status, 200, r)
        self.assertIn(b"sha256:", r.body)
        img = api("GET", f"/images/{tag}/json")
        self.assertEqual(img.status, 200)
        saved = api("GET", f"/images/get?names={urllib.parse.quote(tag)}")
        self.assertEqual(saved.status, 200)
        self.assertEqual(saved.headers.get("content-type"), "application/x-tar")
        self.assertEqual(api("DELETE", f"/images/{tag}").status, 200)
        r = api("POST", "/images/load?quiet=1", saved.body, {"Content-Type": "application/x-tar"})
        self.assertEqual(r.status, 200, r)
        self.assertIn(f"Loaded image: {tag}".encode(), r.body)
        self.assertEqual(api("GET", f"/images/{tag}/json").json()["Id"], img.json()["Id"])


class StatusCodes(EngineTestCase):
    def test_conflict_not_modified_not_found_bad_request(self):
        n = self.name("codes")
        cid = create(n, ["sleep", "30"])
        r = api("POST", f"/containers/create?name={n}",
                {"Image": IMAGE, "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}})
        self.assertEqual(r.status, 409)
        self.assertRegex(r.json()["message"], rf'Conflict\. The container name "/{n}" is already in use')
        self.assertEqual(api("POST", f"/containers/{n}/stop").status, 304)
        self.assertEqual(api("POST", f"/containers/{n}/start").status, 204)
        self.assertEqual(api("POST", f"/containers/{n}/start").status, 304)
        r = api("DELETE", f"/containers/{n}")
        self.assertEqual(r.status, 409)
        self.assertRegex(r.json()["message"], r"^You cannot remove a running container " + cid)
        self.assertEqual(api("POST", "/containers/nosuch-x/start").status, 404)
        r = api("POST", f"/containers/{n}/kill?signal=NOSUCHSIG")
        self.assertEqual(r.status, 400)
        self.assertRegex(r.json()["message"], r"NOSUCHSIG")
        self.assertEqual(api("POST", f"/containers/{n}/stop?t=0").status, 204)
        self.assertEqual(api("POST", f"/containers/{n}/stop").status, 304)

    def test_bad_parameters(self):
        r = api("POST", "/containers/create", {"Image": IMAGE, "Cmd": ["true"],
                                                "HostConfig": {"RestartPolicy": {"Name": "sometimes"}}})
        self.assertEqual(r.status, 400)
        self.assertIn("sometimes", r.json()["message"])
        r = api("GET", "/containers/json?filters=" + urllib.parse.quote('{"nosuchfilter":["x"]}'))
        self.assertEqual(r.status, 400)
        self.assertRegex(r.json()["message"], r"nosuchfilter")


if __name__ == "__main__":
    unittest.main()
