#!/usr/bin/env python3
"""Docker Engine API conformance: the same requests against Docker and stack.

  api_compare.py run --socket SOCK --rootfs TAR --out RESULT.json [--engine NAME]
      Send the fixed request list (CASES below) over the unix socket SOCK and
      write one record per request: status, Content-Type, selected headers,
      the set of JSON key paths of the body (keys, recursively, '[]' for list
      elements; not values) and selected values with ids and times normalized.
      The image apicompare/busybox:latest (CMD ["sh"]) must already exist.
  api_compare.py compare RECORDING.json RESULT.json
      Compare a result with the recording (Docker's): status codes exactly,
      every Docker key path present unless a documented difference (KNOWN
      below) covers it, selected values and headers equal. Prints a table,
      exits 1 on an undocumented difference.

Standard library only: run.sh drives it (starts the daemons, cleans up).
"""
import argparse
import io
import json
import re
import socket
import sys
import tarfile
import time
import urllib.parse

IMAGE = "apicompare/busybox:latest"
NET = {"NetworkMode": "none"}
# PID 1 exits 0 on SIGTERM so that stop is quick and its exit code fixed.
TRAP_SLEEP = "trap 'exit 0' TERM; sleep 3600 & wait"
MAIN_CMD = ["sh", "-c", "echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; echo out2; " + TRAP_SLEEP]

# --------------------------------------------------------------------------
# Documented differences between stack and Docker 20.10 (the recording).
# Each entry: (case glob, kind, path glob, reason). kind is one of
# status, content_type, header, key (a Docker key path stack lacks), value.
# Globs: only '*' is special. A difference is accepted only if an entry covers it; entries that covered
# nothing are listed at the end of the comparison so the list stays honest.
# --------------------------------------------------------------------------
KNOWN = [
    # The recording is Docker 20.10 (API 1.41); stack serves API 1.43 (Docker 24).
    ("*", "header", "Api-Version", "Docker 20.10 serves API 1.41, stack serves 1.43"),
    ("version", "value", "ApiVersion", "API 1.41 (Docker 20.10) vs 1.43 (stack)"),
    ("version", "value", "MinAPIVersion", "Docker 20.10 accepts clients from 1.12; stack's minimum is its own"),
    ("version_too_new", "value", "message", "the message names the daemon's maximum version (1.41 vs 1.43)"),
    # Removed from the API between 1.41 and 1.43 (moby api/docs/v1.41.yaml vs v1.43.yaml definitions).
    ("info*", "key", "ClusterAdvertise", "removed from SystemInfo in API 1.42"),
    ("info*", "key", "ClusterStore", "removed from SystemInfo in API 1.42"),
    ("info*", "key", "KernelMemory", "removed from SystemInfo in API 1.42"),
    ("inspect_*", "key", "HostConfig.KernelMemory", "removed from Resources (HostConfig) in API 1.42"),
    # Behaviour that changed upstream after 20.10; stack follows the API it serves.
    ("logs_*", "content_type", "*", "API 1.42+ answers application/vnd.docker.multiplexed-stream "
     "for a non-TTY stream (moby api/server/router/container); 1.41 said application/vnd.docker.raw-stream"),
    ("attach", "content_type", "*", "as logs_*: multiplexed-stream from API 1.42"),
    ("exec_start", "content_type", "*", "as logs_*: multiplexed-stream from API 1.42"),
    ("create_malformed_json", "status", "500", "Docker 23+ answers 400 'invalid JSON: ...' for a body that "
     "does not decode (moby runconfig invalidJSONError is an InvalidParameter); 20.10 answered 500"),
    ("create_wrong_type", "status", "500", "as create_malformed_json: 400 from Docker 23 on"),
    # Components stack does not have.
    ("version*", "value", "Components[*].Name", "stack is one engine: no containerd, runc or docker-init components"),
    ("version*", "key", "Components[].Details.*", "details of containerd/runc/docker-init (their git commits)"),
    ("version*", "key", "GoVersion", "stack is not written in Go"),
    ("info*", "key", "ContainerdCommit*", "no containerd"),
    ("info*", "key", "RuncCommit*", "stack's own runtime, no runc"),
    ("info*", "key", "InitCommit*", "stack's built-in init, no docker-init"),
    ("info*", "key", "Swarm*", "no swarm mode"),
    ("info*", "key", "Runtimes.*", "stack's runtime is built in (Runtimes lists \"stack\"); no runc or containerd shims"),
    # Messages: stack writes the current Docker's texts where Docker reworded them after 20.10.
    ("list_status_bad", "value", "message", "current moby text: 'invalid filter ...' (lower case, daemon/list.go)"),
    ("inspect_*", "value", "HostConfig.RestartPolicy", "Docker 25+ stores an empty policy name as \"no\" (RestartPolicyDisabled)"),
    ("image_inspect_*", "value", "message", "Docker 23+ text 'No such image: X' (20.10 repeated it: 'no such image: X: No such image: X')"),
    ("create_bad_restart_policy", "value", "message", "Docker 24+ text: 'invalid restart policy: unknown policy ...' "
     "(moby api/types/container ValidateRestartPolicy)"),
    ("create_restart_always_with_count", "value", "message", "Docker 24+ text: 'invalid restart policy: maximum retry "
     "count can only be used with 'on-failure''"),
    # Networks: placeholders until the netplane issue (containers here use NetworkMode none).
    ("inspect_*", "key", "NetworkSettings.*", "networks until the netplane issue"),
    ("list_*", "key", "[].NetworkSettings.*", "networks until the netplane issue"),
    ("info*", "key", "BridgeNfIp*", "networks until the netplane issue"),
    ("info*", "key", "IPv4Forwarding", "networks until the netplane issue"),
]

# --------------------------------------------------------------------------
# HTTP over a unix socket (Connection: close, or an upgrade for hijacking).
# --------------------------------------------------------------------------


class Response:
    def __init__(self, status, reason, headers, body, sock=None):
        self.status, self.reason, self.headers, self.body, self.sock = status, reason, headers, body, sock

    def header(self, name):
        return self.headers.get(name.lower())


def _recv_until(sock, buf, marker):
    while marker not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before " + repr(marker))
        buf += chunk
    return buf


def _read_all(sock, buf):
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    return buf


def _dechunk(sock, buf):
    out = b""
    while True:
        buf = _recv_until(sock, buf, b"\r\n")
        line, buf = buf.split(b"\r\n", 1)
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return out
        while len(buf) < size + 2:
            chunk = sock.recv(65536)
            if not chunk:
                return out + buf[:size]
            buf += chunk
        out += buf[:size]
        buf = buf[size + 2:]


def http(sock_path, method, path, body=None, headers=None, upgrade=False, timeout=60):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    h = {"Host": "api", "User-Agent": "stack-api-compare/1"}
    if body is not None:
        if isinstance(body, str):
            body = body.encode()
        h["Content-Length"] = str(len(body))
    elif method in ("POST", "PUT"):
        h["Content-Length"] = "0"
    if upgrade:
        h["Connection"] = "Upgrade"
        h["Upgrade"] = "tcp"
    else:
        h["Connection"] = "close"
    h.update(headers or {})
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    s.sendall(head.encode() + (body or b""))
    buf = _recv_until(s, b"", b"\r\n\r\n")
    raw_head, rest = buf.split(b"\r\n\r\n", 1)
    lines = raw_head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if status == 101:
        return Response(status, reason, hdrs, rest, s)
    if method == "HEAD" or status in (204, 304):
        data = b""
    elif "chunked" in hdrs.get("transfer-encoding", "").lower():
        data = _dechunk(s, rest)
    elif "content-length" in hdrs:
        n = int(hdrs["content-length"])
        while len(rest) < n:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        data = rest[:n]
    else:
        data = _read_all(s, rest)
    s.close()
    return Response(status, reason, hdrs, data)


def demux(data):
    """Docker's stdcopy frames: [stream u8][0 0 0][size u32 BE][payload]."""
    frames, i = [], 0
    while i + 8 <= len(data):
        stream, size = data[i], int.from_bytes(data[i + 4:i + 8], "big")
        if data[i + 1:i + 4] != b"\0\0\0" or stream > 3:
            return None  # not multiplexed
        frames.append((stream, data[i + 8:i + 8 + size]))
        i += 8 + size
    return frames if i == len(data) else None


# --------------------------------------------------------------------------
# Normalization and key paths.
# --------------------------------------------------------------------------
RE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
RE_ID = re.compile(r"\b[0-9a-f]{64}\b")
RE_SHORT = re.compile(r"\b[0-9a-f]{12}\b")


def norm(v):
    if isinstance(v, str):
        v = RE_TIME.sub("<time>", v)
        v = RE_ID.sub("<id>", v)
        v = RE_SHORT.sub("<short-id>", v)
        return v
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return v


def key_paths(v, prefix=""):
    out = set()
    if isinstance(v, dict):
        for k, x in v.items():
            p = f"{prefix}.{k}" if prefix else k
            out.add(p)
            out |= key_paths(x, p)
    elif isinstance(v, list):
        for x in v:
            out |= key_paths(x, prefix + "[]")
    return out


def select(v, path):
    """'A.B', '[*].Names', 'Components[*].Name', '[0].Tags', '#' (length)."""
    if path == "#":
        return len(v) if isinstance(v, (list, dict)) else "<absent>"
    tokens = re.findall(r"\[\*\]|\[\d+\]|[^.\[\]]+", path)

    def walk(x, toks):
        if not toks:
            return x
        t, rest = toks[0], toks[1:]
        if t == "[*]":
            return [walk(e, rest) for e in x] if isinstance(x, list) else "<absent>"
        if t.startswith("["):
            i = int(t[1:-1])
            return walk(x[i], rest) if isinstance(x, list) and i < len(x) else "<absent>"
        if t == "#":
            return len(x) if isinstance(x, (list, dict)) else "<absent>"
        return walk(x[t], rest) if isinstance(x, dict) and t in x else "<absent>"

    return walk(v, tokens)


def parse_json_stream(data):
    dec, objs, i, text = json.JSONDecoder(), [], 0, data.decode("utf-8", "replace")
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return objs
        obj, i = dec.raw_decode(text, i)
        objs.append(obj)


# --------------------------------------------------------------------------
# The request list. Each case: name, method, path (str.format with ctx),
# optional body (dict -> JSON, str/bytes raw, callable(ctx)), values to
# record, headers to record, capture (ctx var <- selected path), kind:
#   json (default), json-stream, text, stream (multiplexed frames), tar.
# Special kinds: sleep, attach, exec_start (hijacked).
# --------------------------------------------------------------------------


def Q(**kw):
    return urllib.parse.urlencode(kw)


def F(d):
    return urllib.parse.quote(json.dumps(d, separators=(",", ":")))


INSPECT_VALUES = ["Name", "Path", "Args", "State.Status", "State.Running", "State.Paused", "State.Restarting",
                  "State.OOMKilled", "State.Dead", "State.ExitCode", "State.Error", "RestartCount", "Driver",
                  "Platform", "Config.Image", "Config.Cmd", "Config.Entrypoint", "Config.Labels", "Config.Tty",
                  "Config.OpenStdin", "Config.AttachStdout", "HostConfig.NetworkMode", "HostConfig.RestartPolicy",
                  "HostConfig.LogConfig.Type", "Mounts"]
LIST_VALUES = ["#", "[*].Names", "[*].Image", "[*].Command", "[*].State", "[*].Labels", "[*].HostConfig",
               "[*].Mounts"]
PING_HEADERS = ["Api-Version", "Ostype", "Docker-Experimental", "Cache-Control", "Pragma"]

CASES = [
    # --- system
    dict(name="ping_get", method="GET", path="/_ping", kind="text", headers=PING_HEADERS),
    dict(name="ping_head", method="HEAD", path="/_ping", kind="text", headers=PING_HEADERS),
    dict(name="version", method="GET", path="/version",
         values=["Os", "Arch", "ApiVersion", "MinAPIVersion", "Components[*].Name"]),
    dict(name="info", method="GET", path="/info",
         values=["Containers", "ContainersRunning", "ContainersPaused", "ContainersStopped", "Images", "OSType",
                 "Architecture", "Driver", "LoggingDriver", "CgroupDriver", "CgroupVersion"]),
    # --- images
    dict(name="images_list", method="GET", path="/images/json",
         values=["#", "[*].RepoTags", "[*].RepoDigests", "[*].Containers", "[*].Labels", "[*].ParentId"]),
    dict(name="image_inspect", method="GET", path=f"/images/{IMAGE}/json",
         values=["RepoTags", "RepoDigests", "Parent", "Comment", "Os", "Architecture", "Author", "Config.Cmd",
                 "Config.Entrypoint", "Config.Env", "Config.Labels", "Config.WorkingDir", "Config.User",
                 "RootFS.Type", "RootFS.Layers.#"]),
    dict(name="image_inspect_404", method="GET", path="/images/nosuch:latest/json", values=["message"]),
    dict(name="image_history", method="GET", path=f"/images/{IMAGE}/history",
         values=["#", "[*].Tags", "[*].Comment", "[*].CreatedBy"]),
    dict(name="image_history_404", method="GET", path="/images/nosuch:latest/history", values=["message"]),
    dict(name="image_tag", method="POST", path=f"/images/{IMAGE}/tag?" + Q(repo="apicompare/tagged", tag="v1")),
    dict(name="image_tag_404", method="POST", path="/images/nosuch:latest/tag?" + Q(repo="x", tag="y"),
         values=["message"]),
    dict(name="images_list_tagged", method="GET", path="/images/json", values=["#", "[*].RepoTags"]),
    dict(name="image_delete_tag", method="DELETE", path="/images/apicompare/tagged:v1", values=["[*]"]),
    dict(name="image_delete_404", method="DELETE", path="/images/nosuch:latest", values=["message"]),
    dict(name="image_import", method="POST",
         path="/images/create?" + Q(fromSrc="-", repo="apicompare/imported", tag="v1", changes='CMD ["sh"]'),
         body=lambda ctx: ctx["rootfs"], content_type="application/x-tar", kind="json-stream",
         values=["[*].status"]),
    dict(name="image_inspect_imported", method="GET", path="/images/apicompare/imported:v1/json",
         values=["RepoTags", "Config.Cmd", "Comment"]),
    dict(name="image_save", method="GET", path="/images/get?" + Q(names="apicompare/imported:v1"), kind="tar",
         capture={"saved": "<body>"}),
    dict(name="image_delete_imported", method="DELETE", path="/images/apicompare/imported:v1",
         values=["[*].Untagged", "#"]),
    dict(name="image_inspect_deleted", method="GET", path="/images/apicompare/imported:v1/json", values=["message"]),
    dict(name="image_load", method="POST", path="/images/load?quiet=1", body=lambda ctx: ctx["saved"],
         content_type="application/x-tar", kind="json-stream", values=["[*].stream"]),
    dict(name="image_inspect_loaded", method="GET", path="/images/apicompare/imported:v1/json",
         values=["RepoTags", "Config.Cmd"]),
    dict(name="image_delete_loaded", method="DELETE", path="/images/apicompare/imported:v1",
         values=["[*].Untagged"]),
    # --- containers: create and its errors
    dict(name="create_exit", method="POST", path="/containers/create?name=ac-exit",
         body={"Image": IMAGE, "Cmd": ["sh", "-c", "exit 3"], "Labels": {"apicompare": "exit"}, "HostConfig": NET},
         values=["Warnings"], capture={"cid_exit": "Id"}),
    dict(name="start_exit", method="POST", path="/containers/ac-exit/start"),
    dict(name="wait_exit", method="POST", path="/containers/ac-exit/wait", values=["StatusCode", "Error"]),
    dict(name="create_ok", method="POST", path="/containers/create?name=ac-main",
         body={"Image": IMAGE, "Cmd": MAIN_CMD, "Labels": {"apicompare": "main"}, "HostConfig": NET},
         values=["Warnings"], capture={"cid_main": "Id"}),
    dict(name="create_conflict", method="POST", path="/containers/create?name=ac-main",
         body={"Image": IMAGE, "HostConfig": NET}, values=["message"]),
    dict(name="create_unknown_image", method="POST", path="/containers/create?name=ac-noimage",
         body={"Image": "nosuch/image:latest", "HostConfig": NET}, values=["message"]),
    dict(name="create_malformed_json", method="POST", path="/containers/create?name=ac-malformed",
         body='{"Image": ', content_type="application/json"),
    dict(name="create_bad_restart_policy", method="POST", path="/containers/create?name=ac-badrestart",
         body={"Image": IMAGE, "HostConfig": {"NetworkMode": "none", "RestartPolicy": {"Name": "sometimes"}}},
         values=["message"]),
    dict(name="create_restart_always_with_count", method="POST", path="/containers/create?name=ac-badcount",
         body={"Image": IMAGE,
               "HostConfig": {"NetworkMode": "none", "RestartPolicy": {"Name": "always", "MaximumRetryCount": 3}}},
         values=["message"]),
    dict(name="create_wrong_type", method="POST", path="/containers/create?name=ac-wrongtype",
         body={"Image": IMAGE, "Tty": "yes", "HostConfig": NET}),
    dict(name="list_after_bad_creates", method="GET", path="/containers/json?all=1", values=["#", "[*].Names"]),
    dict(name="inspect_created", method="GET", path="/containers/ac-main/json", values=INSPECT_VALUES),
    dict(name="inspect_404", method="GET", path="/containers/nosuch/json", values=["message"]),
    # --- start / state
    dict(name="start", method="POST", path="/containers/ac-main/start"),
    dict(name="start_again", method="POST", path="/containers/ac-main/start"),
    dict(name="start_404", method="POST", path="/containers/nosuch/start", values=["message"]),
    dict(name="settle", kind="sleep", seconds=1.0),
    dict(name="inspect_running", method="GET", path="/containers/ac-main/json", values=INSPECT_VALUES),
    dict(name="list_default", method="GET", path="/containers/json", values=LIST_VALUES),
    dict(name="list_all_label", method="GET",
         path="/containers/json?" + Q(all=1, filters=json.dumps({"label": ["apicompare=main"]})), values=LIST_VALUES),
    dict(name="list_label_key", method="GET",
         path="/containers/json?" + Q(all=1, filters=json.dumps({"label": ["apicompare"]})), values=["#", "[*].Names"]),
    dict(name="list_name", method="GET", path="/containers/json?" + Q(all=1, filters=json.dumps({"name": ["ac-main"]})),
         values=["#", "[*].Names"]),
    dict(name="list_status_exited", method="GET",
         path="/containers/json?" + Q(all=1, filters=json.dumps({"status": ["exited"]})),
         values=["#", "[*].Names", "[*].State"]),
    dict(name="list_status_bad", method="GET",
         path="/containers/json?" + Q(all=1, filters=json.dumps({"status": ["sleepy"]})), values=["message"]),
    dict(name="list_limit", method="GET", path="/containers/json?all=1&limit=-1&size=0", values=["#", "[*].Names"]),
    dict(name="list_limit_1", method="GET", path="/containers/json?all=1&limit=1", values=["#", "[*].Names"]),
    dict(name="top", method="GET", path="/containers/ac-main/top", values=["Titles", "Processes.#"]),
    dict(name="top_not_running", method="GET", path="/containers/ac-exit/top", values=["message"]),
    dict(name="stats", method="GET", path="/containers/ac-main/stats?stream=false", values=["name"]),
    dict(name="logs_tail_timestamps", method="GET",
         path="/containers/ac-main/logs?stdout=1&stderr=1&tail=2&timestamps=1", kind="stream"),
    dict(name="logs_all", method="GET", path="/containers/ac-main/logs?stdout=1&stderr=1", kind="stream"),
    dict(name="logs_stderr_only", method="GET", path="/containers/ac-main/logs?stderr=1", kind="stream"),
    dict(name="logs_no_streams", method="GET", path="/containers/ac-main/logs", values=["message"]),
    dict(name="logs_404", method="GET", path="/containers/nosuch/logs?stdout=1", values=["message"]),
    # --- pause / unpause
    dict(name="pause", method="POST", path="/containers/ac-main/pause"),
    dict(name="pause_again", method="POST", path="/containers/ac-main/pause", values=["message"]),
    dict(name="inspect_paused", method="GET", path="/containers/ac-main/json",
         values=["State.Status", "State.Running", "State.Paused"]),
    dict(name="list_status_paused", method="GET",
         path="/containers/json?" + Q(filters=json.dumps({"status": ["paused"]})), values=["#", "[*].State"]),
    dict(name="unpause", method="POST", path="/containers/ac-main/unpause"),
    dict(name="unpause_again", method="POST", path="/containers/ac-main/unpause", values=["message"]),
    dict(name="pause_not_running", method="POST", path="/containers/ac-exit/pause", values=["message"]),
    # --- exec
    dict(name="exec_create", method="POST", path="/containers/ac-main/exec",
         body={"Cmd": ["sh", "-c", "echo exec-out; sleep 0.2; echo exec-err >&2; exit 5"], "AttachStdout": True,
               "AttachStderr": True}, capture={"eid": "Id"}),
    dict(name="exec_start", kind="hijack", method="POST", path="/exec/{eid}/start",
         body={"Detach": False, "Tty": False}),
    dict(name="exec_inspect", method="GET", path="/exec/{eid}/json",
         values=["Running", "ExitCode", "ProcessConfig", "OpenStdin", "OpenStdout", "OpenStderr", "CanRemove"]),
    dict(name="exec_inspect_404", method="GET", path="/exec/nosuch/json", values=["message"]),
    dict(name="exec_create_404", method="POST", path="/containers/nosuch/exec", body={"Cmd": ["true"]},
         values=["message"]),
    dict(name="exec_create_not_running", method="POST", path="/containers/ac-exit/exec", body={"Cmd": ["true"]},
         values=["message"]),
    dict(name="exec_create_no_cmd", method="POST", path="/containers/ac-main/exec", body={"AttachStdout": True},
         values=["message"]),
    # --- rename
    dict(name="rename", method="POST", path="/containers/ac-main/rename?name=ac-renamed"),
    dict(name="rename_conflict", method="POST", path="/containers/ac-renamed/rename?name=ac-exit",
         values=["message"]),
    dict(name="rename_404", method="POST", path="/containers/nosuch/rename?name=x", values=["message"]),
    dict(name="inspect_renamed", method="GET", path="/containers/ac-renamed/json", values=["Name"]),
    # --- kill / rm conflicts, stop, restart, wait
    dict(name="kill_not_running", method="POST", path="/containers/ac-exit/kill", values=["message"]),
    dict(name="kill_bad_signal", method="POST", path="/containers/ac-renamed/kill?signal=SIGNOPE", values=["message"]),
    dict(name="rm_running", method="DELETE", path="/containers/ac-renamed", values=["message"]),
    dict(name="stop", method="POST", path="/containers/ac-renamed/stop?t=5"),
    dict(name="stop_again", method="POST", path="/containers/ac-renamed/stop?t=5"),
    dict(name="wait_stopped", method="POST", path="/containers/ac-renamed/wait", values=["StatusCode", "Error"]),
    dict(name="inspect_stopped", method="GET", path="/containers/ac-renamed/json",
         values=["State.Status", "State.Running", "State.ExitCode", "RestartCount"]),
    dict(name="exec_in_stopped", method="POST", path="/containers/ac-renamed/exec", body={"Cmd": ["true"]},
         values=["message"]),
    dict(name="restart", method="POST", path="/containers/ac-renamed/restart?t=1"),
    dict(name="inspect_restarted", method="GET", path="/containers/ac-renamed/json",
         values=["State.Status", "State.Running", "State.ExitCode", "RestartCount"]),
    dict(name="kill", method="POST", path="/containers/ac-renamed/kill"),
    dict(name="wait_killed", method="POST", path="/containers/ac-renamed/wait", values=["StatusCode"]),
    dict(name="inspect_killed", method="GET", path="/containers/ac-renamed/json",
         values=["State.Status", "State.ExitCode", "State.OOMKilled"]),
    dict(name="wait_404", method="POST", path="/containers/nosuch/wait", values=["message"]),
    # --- attach (hijacked), then start the container from a second connection
    dict(name="create_attach", method="POST", path="/containers/create?name=ac-attach",
         body={"Image": IMAGE, "Cmd": ["sh", "-c", "echo attached-out; sleep 0.2; echo attached-err >&2"],
               "AttachStdout": True, "AttachStderr": True, "HostConfig": NET}),
    dict(name="attach", kind="attach", method="POST", path="/containers/ac-attach/attach?stream=1&stdout=1&stderr=1",
         start="/containers/ac-attach/start"),
    dict(name="wait_attach", method="POST", path="/containers/ac-attach/wait?condition=not-running",
         values=["StatusCode"]),
    dict(name="attach_404", method="POST", path="/containers/nosuch/attach?stream=1&stdout=1", values=["message"]),
    # --- images in use, rm
    dict(name="image_delete_in_use", method="DELETE", path=f"/images/{IMAGE}", values=["message"]),
    dict(name="rm", method="DELETE", path="/containers/ac-attach"),
    dict(name="rm_again", method="DELETE", path="/containers/ac-attach", values=["message"]),
    dict(name="rm_force", method="DELETE", path="/containers/ac-renamed?force=1"),
    # --- events, bounded by since/until so the stream ends
    dict(name="events_mark_start", kind="mark", var="t0"),
    dict(name="create_events", method="POST", path="/containers/create?name=ac-events",
         body={"Image": IMAGE, "Cmd": ["true"], "Labels": {"apicompare": "events"}, "HostConfig": NET}),
    dict(name="start_events", method="POST", path="/containers/ac-events/start"),
    dict(name="wait_events", method="POST", path="/containers/ac-events/wait", values=["StatusCode"]),
    dict(name="rm_events", method="DELETE", path="/containers/ac-events"),
    dict(name="events_mark_end", kind="mark", var="t1"),
    dict(name="events", method="GET",
         path="/events?since={t0}&until={t1}&filters=" + F({"container": ["ac-events"]}), kind="json-stream",
         values=["[*].Type", "[*].Action", "[*].status", "[*].from", "[*].Actor.Attributes"]),
    dict(name="events_image_filter", method="GET",
         path="/events?since={t0}&until={t1}&filters=" + F({"type": ["container"], "event": ["die"]}),
         kind="json-stream", values=["[*].Action", "[*].Actor.Attributes.exitCode"]),
    # --- routing and versions
    dict(name="unknown_route", method="GET", path="/nosuch/route", values=["message"]),
    dict(name="unknown_method", method="PUT", path="/containers/json", values=["message"]),
    dict(name="versioned_path", method="GET", path="/v1.41/containers/json?all=1", values=["#", "[*].Names"]),
    dict(name="versioned_version", method="GET", path="/v1.41/version", values=["Os"]),
    dict(name="version_too_new", method="GET", path="/v1.99/version", values=["message"]),
    dict(name="rm_exit", method="DELETE", path="/containers/ac-exit"),
    dict(name="info_end", method="GET", path="/info", values=["Containers", "Images"]),
]


def run_case(sock, case, ctx):
    kind = case.get("kind", "json")
    if kind == "sleep":
        time.sleep(case["seconds"])
        return None
    if kind == "mark":
        time.sleep(0.05)
        ctx[case["var"]] = "%.9f" % time.time()
        time.sleep(0.05)
        return None
    path = case["path"].format(**ctx)
    body = case.get("body")
    if callable(body):
        body = body(ctx)
    headers = {}
    if isinstance(body, dict):
        body = json.dumps(body)
        headers["Content-Type"] = "application/json"
    elif body is not None:
        headers["Content-Type"] = case.get("content_type", "application/json")
    rec = {"name": case["name"], "request": f"{case['method']} {norm(case['path'])}"}

    if kind == "attach":
        r = http(sock, "POST", path, upgrade=True)
        if r.status == 101:
            st = http(sock, "POST", case["start"].format(**ctx))
            rec["start_status"] = st.status
            data = _read_all(r.sock, r.body)
            r.sock.close()
            r.body = data
        kind = "stream"
    elif kind == "hijack":
        r = http(sock, case["method"], path, body=body, headers=headers, upgrade=True)
        if r.status == 101:
            data = _read_all(r.sock, r.body)
            r.sock.close()
            r.body = data
        kind = "stream"
    else:
        r = http(sock, case["method"], path, body=body, headers=headers)

    rec["status"] = r.status
    rec["content_type"] = r.header("content-type") or ""
    if case.get("headers"):
        rec["headers"] = {h: r.header(h) for h in case["headers"]}
    if r.status == 101:
        rec["headers"] = {h: r.header(h) for h in ("Connection", "Upgrade")}
    values = {}
    data = r.body
    parsed = None
    if r.status >= 400 or kind == "json":
        try:
            parsed = json.loads(data) if data.strip() else None
            rec["body_kind"] = "json" if parsed is not None else "empty"
        except ValueError:
            rec["body_kind"] = "text"
            rec["text"] = norm(data.decode("utf-8", "replace"))[:300]
    elif kind == "json-stream":
        try:
            parsed = parse_json_stream(data)
            rec["body_kind"] = "json-stream"
        except ValueError:
            rec["body_kind"] = "text"
            rec["text"] = norm(data.decode("utf-8", "replace"))[:300]
    elif kind == "text":
        rec["body_kind"] = "text" if data else "empty"
        rec["text"] = data.decode("utf-8", "replace")
    elif kind == "stream":
        frames = demux(data)
        if frames is None:
            rec["body_kind"] = "raw"
            rec["text"] = norm(data.decode("utf-8", "replace"))[:300]
        else:
            rec["body_kind"] = "multiplexed"
            names = {0: "stdin", 1: "stdout", 2: "stderr", 3: "system"}
            values["frames"] = [[names[s], norm(p.decode("utf-8", "replace"))] for s, p in frames]
            for s in (1, 2):
                values[names[s]] = norm(b"".join(p for t, p in frames if t == s).decode("utf-8", "replace"))
    elif kind == "tar":
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as tf:
                members = tf.getnames()
                rec["body_kind"] = "tar"
                values["has manifest.json"] = "manifest.json" in members
                if "manifest.json" in members:
                    parsed = json.load(tf.extractfile("manifest.json"))
                    values["manifest RepoTags"] = select(parsed, "[*].RepoTags")
        except tarfile.TarError as e:
            rec["body_kind"] = "text"
            rec["text"] = f"not a tar: {e}"

    if parsed is not None:
        rec["keys"] = sorted(key_paths(parsed))
        wanted = list(case.get("values", []))
        if r.status >= 400 and "message" not in wanted:
            wanted.append("message")
        for p in wanted:
            values[p] = norm(select(parsed, p))
    if values:
        rec["values"] = values
    for var, p in case.get("capture", {}).items():
        if p == "<body>":
            ctx[var] = data
        elif isinstance(parsed, dict) and p in parsed:
            ctx[var] = parsed[p]
    return rec


def cmd_run(args):
    with open(args.rootfs, "rb") as f:
        ctx = {"rootfs": f.read(), "eid": "none", "t0": "0", "t1": "0"}
    records = []
    for case in CASES:
        try:
            rec = run_case(args.socket, case, ctx)
        except (OSError, ValueError, ConnectionError) as e:
            rec = {"name": case["name"], "request": f"{case.get('method')} {norm(case.get('path', ''))}",
                   "status": 0, "error": f"{type(e).__name__}: {e}"}
        if rec is not None:
            records.append(rec)
            print(f"  {rec['status']:>3} {rec['request'][:90]}", file=sys.stderr)
    out = {"engine": args.engine, "cases": records}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    return 0


# --------------------------------------------------------------------------
# Comparison.
# --------------------------------------------------------------------------


def glob(pattern, text):
    """'*' matches anything; every other character (also '[', ']') is literal."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), text, re.S) is not None


def known(case, kind, path, used):
    for i, (cg, k, pg, _reason) in enumerate(KNOWN):
        if k == kind and glob(cg, case) and glob(pg, path):
            used.add(i)
            return True
    return False


def media(ct):
    return (ct or "").split(";")[0].strip().lower()


def compare_case(d, s, used):
    """Returns (undocumented diffs, documented diffs) as lists of strings."""
    name = d["name"]
    bad, doc = [], []

    def diff(kind, path, msg):
        (doc if known(name, kind, path, used) else bad).append(msg)

    if s is None:
        return [f"not run by stack"], []
    if s.get("error"):
        return [f"request failed: {s['error']}"], []
    if d["status"] != s["status"]:
        diff("status", str(d["status"]), f"status {d['status']} != {s['status']}")
    if d["status"] == s["status"] and media(d.get("content_type")) != media(s.get("content_type")) \
            and d["status"] not in (204, 304):
        diff("content_type", media(d.get("content_type")),
             f"Content-Type {media(d.get('content_type'))!r} != {media(s.get('content_type'))!r}")
    for h, v in (d.get("headers") or {}).items():
        sv = (s.get("headers") or {}).get(h)
        if (v or "").lower() != (sv or "").lower():
            diff("header", h, f"header {h}: {v!r} != {sv!r}")
    if d.get("body_kind") != s.get("body_kind") and d["status"] == s["status"]:
        diff("body_kind", d.get("body_kind", ""), f"body {d.get('body_kind')} != {s.get('body_kind')}")
    missing = sorted(set(d.get("keys", [])) - set(s.get("keys", [])))
    for k in missing:
        diff("key", k, f"missing key {k}")
    if d["status"] == s["status"]:
        for p, v in (d.get("values") or {}).items():
            sv = (s.get("values") or {}).get(p, "<absent>")
            if v != sv:
                diff("value", p, f"{p}: {json.dumps(v)[:80]} != {json.dumps(sv)[:80]}")
    if d.get("text") is not None and d["status"] == s["status"] and d.get("body_kind") == "text" \
            and d.get("text") != s.get("text"):
        diff("value", "<text>", f"body {d.get('text')[:40]!r} != {(s.get('text') or '')[:40]!r}")
    return bad, doc


def cmd_compare(args):
    with open(args.recording) as f:
        rec = json.load(f)
    with open(args.result) as f:
        res = json.load(f)
    by_name = {c["name"]: c for c in res["cases"]}
    used = set()
    n_same = n_known = n_diff = 0
    print(f"{'request':<40} {'docker':>6} {'stack':>6}  verdict  details")
    for d in rec["cases"]:
        s = by_name.get(d["name"])
        bad, doc = compare_case(d, s, used)
        verdict = "DIFF" if bad else ("KNOWN" if doc else "SAME")
        n_same += verdict == "SAME"
        n_known += verdict == "KNOWN"
        n_diff += verdict == "DIFF"
        st = s["status"] if s else "-"
        detail = "; ".join(bad[:4]) + (f" (+{len(bad) - 4} more)" if len(bad) > 4 else "")
        if not bad and doc:
            detail = f"{len(doc)} documented difference(s)"
        print(f"{d['name']:<40} {d['status']:>6} {st:>6}  {verdict:<7}  {detail}")
        if bad and args.verbose:
            for b in bad:
                print(f"{'':>58}- {b}")
    unused = [KNOWN[i] for i in range(len(KNOWN)) if i not in used]
    if unused and args.verbose:
        print("\ndocumented differences that matched nothing this run:")
        for cg, k, pg, reason in unused:
            print(f"  {cg} {k} {pg}: {reason}")
    print(f"\n{n_same} same, {n_known} same but for documented differences, {n_diff} different "
          f"(of {len(rec['cases'])} requests)")
    print(f"{n_same + n_known} passed, {n_diff} failed")
    return 1 if n_diff else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--socket", required=True)
    r.add_argument("--rootfs", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--engine", default="")
    c = sub.add_parser("compare")
    c.add_argument("recording")
    c.add_argument("result")
    c.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    return cmd_run(a) if a.cmd == "run" else cmd_compare(a)


if __name__ == "__main__":
    sys.exit(main())
