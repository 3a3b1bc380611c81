"""Debian's docker-compose 1.29 (a Python Docker SDK client) against the engine.

Every test writes its compose file into a scratch dir and uses its own project
name; every service has `network_mode: none` (no networks are created). The
cleanup force-removes the project's containers through the API: that is all
`down` would remove here, without its ~1 s per test (RemoveTest checks `down`
itself). Compose prints its progress on stderr
("Creating p_db_1 ... done"); parallel operations finish in any order, so
those lines are compared sorted. Container output (run, exec, logs) is stdout.
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import urllib.parse

import harness
from harness import IMAGE, api, wait_until

COMPOSE = "/usr/bin/docker-compose"
HEX64 = re.compile(r"[0-9a-f]{64}")

# A long-running service: exits 0 on TERM at once, and 3 (after a line) on USR1.
SERVE = ("trap 'exit 0' TERM; trap 'echo got-usr1; exit 3' USR1; "
         "echo $$SVC-start; sleep 1000 & wait")


def service(svc, **extra):
    """A long-running busybox service without a network."""
    d = {"image": IMAGE, "network_mode": "none", "command": ["sh", "-c", SERVE],
         "environment": {"SVC": svc}}
    d.update(extra)
    return d


def two_services(**web_extra):
    """db, and web depending on it."""
    return {"db": service("db"), "web": service("web", depends_on=["db"], **web_extra)}


def parse_time(s):
    """Docker's RFC 3339 timestamps have up to 9 fractional digits."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", s)
    assert m, s
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    return base.timestamp() + float("0." + (m.group(2) or "0"))


def progress(*items):
    """The two lines compose prints for each parallel step, sorted."""
    lines = []
    for item in items:
        lines += [f"{item} ... ", f"{item} ... done"]
    return sorted(lines)


class Project:
    """One compose project: its file, name and the command runner."""

    def __init__(self, directory, services):
        self.dir = directory
        self.name = f"dc{os.getpid() % 1000}{os.path.basename(self.dir).split('-')[-1]}"
        self.file = os.path.join(self.dir, "docker-compose.yml")
        self.write(services)

    def write(self, services):
        # JSON is YAML; compose reads it as any compose file.
        with open(self.file, "w") as f:
            json.dump({"version": "2.4", "services": services}, f, indent=2)

    def argv(self, *args):
        return [COMPOSE, "--ansi", "never", "-p", self.name, "-f", self.file, *args]

    def __call__(self, *args, timeout=60):
        return harness.run(self.argv(*args), cwd=self.dir, timeout=timeout)

    def cname(self, svc, n=1):
        return f"{self.name}_{svc}_{n}"

    def containers(self, *labels, all=True):
        """The engine's list of this project's containers (optionally more label filters)."""
        flt = json.dumps({"label": [f"com.docker.compose.project={self.name}", *labels]})
        r = api("GET", f"/containers/json?all={int(all)}&filters={urllib.parse.quote(flt)}")
        assert r.status == 200, r
        return r.json()

    def names(self, *labels, all=True):
        return sorted(c["Names"][0].lstrip("/") for c in self.containers(*labels, all=all))

    def remove_all(self):
        """Cleanup: the project's containers are force-removed through the API
        (quicker than `down`, which RemoveTest checks itself)."""
        for c in self.containers():
            api("DELETE", f"/containers/{c['Id']}?force=1&v=1")


class ComposeTestCase(harness.EngineTestCase):
    def project(self, services):
        p = Project(self.scratch_dir("compose"), services)
        self.addCleanup(p.remove_all)
        return p

    def up(self, p, *args):
        r = self.assertOk(p("up", "-d", *args))
        return r

    def inspect(self, name):
        c = harness.container_json(name)
        self.assertIsNotNone(c, f"no container {name}")
        return c

    def assertLines(self, text, expected):
        self.assertEqual(sorted(text.splitlines()), sorted(expected), text)


class UpTest(ComposeTestCase):
    def test_up_two_services_in_dependency_order(self):
        p = self.project(two_services())
        r = self.up(p)
        db, web = p.cname("db"), p.cname("web")
        # db is created and started before web is created.
        self.assertEqual(r.err.splitlines(), [f"Creating {db} ... ", f"Creating {db} ... done",
                                              f"Creating {web} ... ", f"Creating {web} ... done"])
        self.assertEqual(r.out, "")
        cdb, cweb = self.inspect(db), self.inspect(web)
        for c, svc in ((cdb, "db"), (cweb, "web")):
            self.assertTrue(c["State"]["Running"], c["State"])
            self.assertEqual(c["State"]["Status"], "running")
            self.assertEqual(c["Config"]["Image"], IMAGE)
            self.assertEqual(c["HostConfig"]["NetworkMode"], "none")
            labels = c["Config"]["Labels"]
            self.assertEqual(labels["com.docker.compose.project"], p.name)
            self.assertEqual(labels["com.docker.compose.service"], svc)
            self.assertEqual(labels["com.docker.compose.container-number"], "1")
            self.assertEqual(labels["com.docker.compose.oneoff"], "False")
            self.assertEqual(labels["com.docker.compose.version"], "1.29.2")
            self.assertEqual(labels["com.docker.compose.project.working_dir"], p.dir)
            self.assertEqual(labels["com.docker.compose.project.config_files"], p.file)
            self.assertRegex(labels["com.docker.compose.config-hash"], HEX64)
            self.assertIn(f"SVC={svc}", c["Config"]["Env"])
        self.assertNotEqual(cdb["Config"]["Labels"]["com.docker.compose.config-hash"],
                            cweb["Config"]["Labels"]["com.docker.compose.config-hash"])
        self.assertLessEqual(parse_time(cdb["State"]["StartedAt"]), parse_time(cweb["Created"]))
        self.assertEqual(p.names(all=False), [db, web])

    def test_second_up_is_a_noop(self):
        p = self.project(two_services())
        self.up(p)
        ids = {c["Id"] for c in p.containers()}
        r = self.up(p)
        self.assertEqual(r.err.splitlines(), [f"{p.cname('db')} is up-to-date",
                                              f"{p.cname('web')} is up-to-date"])
        self.assertEqual({c["Id"] for c in p.containers()}, ids)

    def test_changed_environment_recreates_only_that_service(self):
        p = self.project(two_services())
        self.up(p)
        old_db, old_web = self.inspect(p.cname("db")), self.inspect(p.cname("web"))
        services = two_services()
        services["web"]["environment"]["EXTRA"] = "changed"
        p.write(services)
        r = self.up(p)
        web = p.cname("web")
        self.assertEqual(r.err.splitlines(), [f"{p.cname('db')} is up-to-date",
                                              f"Recreating {web} ... ",
                                              f"Recreating {web} ... done"])
        new_db, new_web = self.inspect(p.cname("db")), self.inspect(web)
        self.assertEqual(new_db["Id"], old_db["Id"])
        self.assertNotEqual(new_web["Id"], old_web["Id"])
        self.assertIn("EXTRA=changed", new_web["Config"]["Env"])
        self.assertTrue(new_web["State"]["Running"])
        self.assertNotEqual(new_web["Config"]["Labels"]["com.docker.compose.config-hash"],
                            old_web["Config"]["Labels"]["com.docker.compose.config-hash"])
        # The old container (renamed during the recreate) is gone.
        self.assertEqual(api("GET", f"/containers/{old_web['Id']}/json").status, 404)
        self.assertEqual(p.names(), [p.cname("db"), web])

    def test_scale(self):
        """--scale adds p_web_2 (container-number 2) and scaling back removes it."""
        p = self.project(two_services())
        self.up(p)
        r = self.up(p, "--scale", "web=2")
        self.assertEqual(r.err.splitlines(), [f"{p.cname('db')} is up-to-date",
                                              f"Creating {p.cname('web', 2)} ... ",
                                              f"Creating {p.cname('web', 2)} ... done"])
        numbers = {c["Names"][0].lstrip("/"): c["Labels"]["com.docker.compose.container-number"]
                   for c in p.containers("com.docker.compose.service=web", all=False)}
        self.assertEqual(numbers, {p.cname("web", 1): "1", p.cname("web", 2): "2"})
        r = self.up(p, "--scale", "web=1")
        self.assertEqual(r.err.splitlines(), [f"{p.cname('db')} is up-to-date",
                                              f"Stopping and removing {p.cname('web', 2)} ... ",
                                              f"Stopping and removing {p.cname('web', 2)} ... done"])
        self.assertEqual(p.names(), [p.cname("db"), p.cname("web")])

    def test_restart_policy_and_healthcheck_in_inspect(self):
        p = self.project({"db": service(
            "db", restart="on-failure:3",
            healthcheck={"test": ["CMD", "true"], "interval": "200ms", "timeout": "2s",
                         "retries": 4, "start_period": "1s"})})
        self.up(p)
        c = self.inspect(p.cname("db"))
        self.assertEqual(c["HostConfig"]["RestartPolicy"], {"Name": "on-failure", "MaximumRetryCount": 3})
        self.assertEqual(c["Config"]["Healthcheck"], {
            "Test": ["CMD", "true"], "Interval": 200_000_000, "Timeout": 2_000_000_000,
            "Retries": 4, "StartPeriod": 1_000_000_000})
        # When it turns healthy is not checked here: with a start_period, Docker 20.10
        # probes every Interval, Docker 25+ every StartInterval (default 5 s) until healthy.
        # test_depends_on_service_healthy_waits checks the health state (no start_period).

    def test_depends_on_service_healthy_waits(self):
        """web is only created once db's healthcheck passes (db gets ready after 1 s)."""
        db = service("db", restart="unless-stopped",
                     healthcheck={"test": ["CMD", "test", "-f", "/tmp/ready"],
                                  "interval": "100ms", "retries": 50})
        db["command"] = ["sh", "-c", "trap 'exit 0' TERM; sleep 1; touch /tmp/ready; sleep 1000 & wait"]
        p = self.project({"db": db, "web": service("web", depends_on={
            "db": {"condition": "service_healthy"}})})
        r = self.up(p)
        self.assertEqual(r.err.splitlines(), [f"Creating {p.cname('db')} ... ",
                                              f"Creating {p.cname('db')} ... done",
                                              f"Creating {p.cname('web')} ... ",
                                              f"Creating {p.cname('web')} ... done"])
        cdb, cweb = self.inspect(p.cname("db")), self.inspect(p.cname("web"))
        self.assertEqual(cdb["State"]["Health"]["Status"], "healthy")
        self.assertEqual(cdb["HostConfig"]["RestartPolicy"]["Name"], "unless-stopped")
        waited = parse_time(cweb["Created"]) - parse_time(cdb["State"]["StartedAt"])
        self.assertGreaterEqual(waited, 0.9, "web was created before db could be healthy")
        self.assertTrue(cweb["State"]["Running"])
        health = self.inspect(p.cname("db"))["State"]["Health"]
        self.assertEqual(health["FailingStreak"], 0)
        self.assertEqual(health["Log"][-1]["ExitCode"], 0)
        r = self.assertOk(p("ps"))
        self.assertRegex(r.out.splitlines()[2], rf"^{p.cname('db')} +sh -c .* +Up \(healthy\) *$")
        self.assertRegex(r.out.splitlines()[3], rf"^{p.cname('web')} +sh -c .* +Up +$")

    def test_depends_on_unhealthy_fails(self):
        """A dependency that turns unhealthy stops `up` with an error; web is never created."""
        db = service("db", healthcheck={"test": ["CMD", "false"], "interval": "100ms", "retries": 2})
        p = self.project({"db": db, "web": service("web", depends_on={
            "db": {"condition": "service_healthy"}})})
        r = p("up", "-d")
        self.assertRc(r, 1)
        self.assertIn(f"Container \"{self.inspect(p.cname('db'))['Id'][:12]}\" is unhealthy.", r.err)
        self.assertEqual(p.names(), [p.cname("db")])

    def test_up_exit_code_from(self):
        """Attached up: output of both services, the exit of one aborts, its code is returned."""
        p = self.project({
            "quick": {"image": IMAGE, "network_mode": "none",
                      "command": ["sh", "-c", "echo quick-out; sleep 0.5; exit 3"]},
            "slow": service("slow")})
        r = p("up", "--exit-code-from", "quick")
        self.assertRc(r, 3)
        quick, slow = p.cname("quick"), p.cname("slow")
        lines = r.out.splitlines()
        self.assertIn("quick_1  | quick-out", lines)
        self.assertIn("slow_1   | slow-start", lines)
        self.assertIn(f"{quick} exited with code 3", lines)
        self.assertRegex(lines[0], rf"^Attaching to ({quick}, {slow}|{slow}, {quick})$")
        self.assertIn("Aborting on container exit...", lines)
        self.assertIn(f"Stopping {slow}  ... done", r.err.splitlines())
        self.assertEqual(r.err.splitlines()[-1], "3")
        self.assertEqual(harness.container_state(quick)["ExitCode"], 3)
        s = harness.container_state(slow)
        self.assertFalse(s["Running"])
        self.assertEqual(s["ExitCode"], 0)

    def test_up_abort_on_container_exit(self):
        p = self.project({
            "quick": {"image": IMAGE, "network_mode": "none", "command": ["sh", "-c", "exit 0"]},
            "slow": service("slow")})
        r = p("up", "--abort-on-container-exit")
        self.assertRc(r, 0)
        self.assertIn(f"{p.cname('quick')} exited with code 0", r.out.splitlines())
        self.assertFalse(harness.container_state(p.cname("slow"))["Running"])


class SharedProjectTest(ComposeTestCase):
    """Commands that leave the project as they found it share one project (compose
    itself takes ~0.7 s a command): ps, logs, top, exec, run."""

    @classmethod
    def setUpClass(cls):
        d = os.path.join(harness.WORK, "compose-shared")
        os.makedirs(d)
        cls.addClassCleanup(shutil.rmtree, d, True)
        cls.p = Project(d, two_services())
        cls.addClassCleanup(cls.p.remove_all)
        r = cls.p("up", "-d")
        assert r.rc == 0, r

    def test_ps(self):
        p = self.p
        r = self.assertOk(p("ps"))
        lines = r.out.splitlines()
        self.assertRegex(lines[0], r"^ +Name +Command +State +Ports$")
        self.assertRegex(lines[1], r"^-+$")
        self.assertEqual(len(lines), 4, r.out)
        self.assertRegex(lines[2], rf"^{p.cname('db')} +sh -c trap 'exit 0' TERM; +\.\.\. +Up +$")
        self.assertRegex(lines[3], rf"^{p.cname('web')} +sh -c trap 'exit 0' TERM; +\.\.\. +Up +$")
        ids = {c["Names"][0].lstrip("/"): c["Id"] for c in p.containers()}
        r = self.assertOk(p("ps", "-q"))
        self.assertEqual(r.out.splitlines(), [ids[p.cname("db")], ids[p.cname("web")]])
        r = self.assertOk(p("ps", "--services"))
        self.assertEqual(r.out, "db\nweb\n")
        r = self.assertOk(p("ps", "-q", "web"))
        self.assertEqual(r.out, ids[p.cname("web")] + "\n")

    def test_logs(self):
        p = self.p
        db, web = p.cname("db"), p.cname("web")
        self.assertOk(p("exec", "-T", "db", "sh", "-c", "echo db-second > /proc/1/fd/1"))
        r = self.assertOk(p("logs", "--no-color"))
        self.assertRegex(r.out.splitlines()[0], rf"^Attaching to ({db}, {web}|{web}, {db})$")
        self.assertLines("\n".join(r.out.splitlines()[1:]),
                         ["db_1   | db-start", "db_1   | db-second", "web_1  | web-start"])
        r = self.assertOk(p("logs", "--no-color", "--tail", "1", "db"))
        self.assertEqual(r.out, f"Attaching to {db}\ndb_1   | db-second\n")
        r = self.assertOk(p("logs", "--no-color", "--no-log-prefix", "db"))
        self.assertEqual(r.out, f"Attaching to {db}\ndb-start\ndb-second\n")

    def test_top(self):
        p = self.p
        r = self.assertOk(p("top", "db"))
        lines = r.out.splitlines()
        self.assertEqual(lines[0], p.cname("db"))
        self.assertEqual(lines[1].split(), ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
        self.assertRegex(lines[2], r"^-+$")
        procs = [line.split(None, 7) for line in lines[3:]]
        self.assertEqual(len(procs), 2, r.out)
        self.assertEqual(procs[0][0], "root")
        self.assertTrue(procs[0][7].startswith("sh -c trap 'exit 0' TERM;"), procs[0])
        self.assertEqual(procs[1][7].strip(), "sleep 1000")
        self.assertEqual(procs[1][2], procs[0][1], "sleep's parent is the shell")
        self.assertEqual(int(procs[0][1]), self.inspect(p.cname("db"))["State"]["Pid"])

    def test_exec(self):
        p = self.p
        r = self.assertOk(p("exec", "-T", "db", "sh", "-c", "echo $SVC; pwd; id -u"))
        self.assertEqual(r.out, "db\n/\n0\n")
        r = self.assertOk(p("exec", "-T", "-e", "FOO=bar", "-w", "/tmp", "-u", "1000", "web",
                            "sh", "-c", "echo $SVC $FOO; pwd; id -u"))
        self.assertEqual(r.out, "web bar\n/tmp\n1000\n")

    def test_exec_exit_code_and_stderr(self):
        r = self.p("exec", "-T", "db", "sh", "-c", "echo out; echo err >&2; exit 7")
        self.assertRc(r, 7)
        self.assertEqual(r.out, "out\n")
        self.assertEqual(r.err, "err\n")

    def test_exec_stdin(self):
        r = harness.run(self.p.argv("exec", "-T", "db", "sh", "-c", "tr a-z A-Z"), input="hello\n",
                        cwd=self.p.dir)
        self.assertOk(r)
        self.assertEqual(r.out, "HELLO\n")

    def test_run_rm(self):
        """run --rm -T: output and exit code of the one-off container, which is removed."""
        p = self.p
        r = p("run", "--rm", "-T", "db", "sh", "-c", "echo hi $SVC; exit 5")
        self.assertRc(r, 5)
        self.assertEqual(r.out, "hi db\n")
        # compose 1.29 also prints the one-off's non-zero exit code on stderr.
        self.assertEqual(r.err.splitlines(), [f"Creating {p.name}_db_run ... ",
                                              f"Creating {p.name}_db_run ... done", "5"])
        self.assertEqual(p.containers("com.docker.compose.oneoff=True"), [])
        self.assertEqual(p.names(), [p.cname("db"), p.cname("web")])

    def test_run_keeps_oneoff_container(self):
        p = self.p
        r = self.assertOk(p("run", "-T", "-e", "X=1", "web", "sh", "-c", "echo $SVC $X"))
        self.assertEqual(r.out, "web 1\n")
        oneoff = p.containers("com.docker.compose.oneoff=True")
        self.assertEqual(len(oneoff), 1, oneoff)
        name = oneoff[0]["Names"][0].lstrip("/")
        self.assertRegex(name, rf"^{p.name}_web_run_[0-9a-f]{{12}}$")
        c = self.inspect(name)
        self.assertEqual(c["Config"]["Labels"]["com.docker.compose.service"], "web")
        self.assertEqual(c["State"]["Status"], "exited")
        self.assertEqual(c["State"]["ExitCode"], 0)
        r = self.assertOk(p("ps", "-a"))
        self.assertRegex(r.out, rf"\n{name} +sh -c echo \$SVC \$X +Exit 0 +\n")
        # ps without -a leaves one-off containers out.
        self.assertNotIn(name, self.assertOk(p("ps")).out)
        # rm removes the stopped one-off (the services are running).
        r = self.assertOk(p("rm", "-f"))
        self.assertEqual(r.out, f"Going to remove {name}\n")
        self.assertLines(r.err, progress(f"Removing {name}"))
        self.assertEqual(p.containers("com.docker.compose.oneoff=True"), [])


class LifecycleTest(ComposeTestCase):
    def setUp(self):
        super().setUp()
        self.p = self.project(two_services())
        self.up(self.p)
        self.db, self.web = self.p.cname("db"), self.p.cname("web")

    def test_stop_start(self):
        p = self.p
        r = self.assertOk(p("stop"))
        self.assertLines(r.err, progress(f"Stopping {self.web}", f"Stopping {self.db} "))
        for n in (self.db, self.web):
            s = harness.container_state(n)
            self.assertEqual((s["Status"], s["Running"], s["ExitCode"]), ("exited", False, 0))
        r = self.assertOk(p("ps"))
        self.assertRegex(r.out.splitlines()[2], rf"^{self.db} .* Exit 0 +$")
        r = self.assertOk(p("start"))
        # start names services, not containers.
        self.assertLines(r.err, progress("Starting db ", "Starting web"))
        for n in (self.db, self.web):
            self.assertTrue(harness.container_state(n)["Running"])

    def test_stop_one_service(self):
        r = self.assertOk(self.p("stop", "web"))
        self.assertLines(r.err, progress(f"Stopping {self.web}"))
        self.assertFalse(harness.container_state(self.web)["Running"])
        self.assertTrue(harness.container_state(self.db)["Running"])

    def test_kill(self):
        p = self.p
        r = self.assertOk(p("kill", "-s", "SIGUSR1", "db"))
        self.assertLines(r.err, progress(f"Killing {self.db}"))
        s = wait_until(lambda: (s := harness.container_state(self.db)) and not s["Running"] and s,
                       what="db to exit on USR1")
        self.assertEqual(s["ExitCode"], 3)
        r = self.assertOk(p("logs", "--no-color", "--no-log-prefix", "db"))
        self.assertEqual(r.out, f"Attaching to {self.db}\ndb-start\ngot-usr1\n")
        # Default signal: SIGKILL, only the running containers are killed.
        r = self.assertOk(p("kill"))
        self.assertLines(r.err, progress(f"Killing {self.web}"))
        s = harness.container_state(self.web)
        self.assertEqual((s["Running"], s["ExitCode"]), (False, 137))
        r = self.assertOk(p("ps"))
        self.assertRegex(r.out.splitlines()[2], rf"^{self.db} .* Exit 3 +$")
        self.assertRegex(r.out.splitlines()[3], rf"^{self.web} .* Exit 137 +$")

    def test_restart(self):
        before = {n: harness.container_state(n)["StartedAt"] for n in (self.db, self.web)}
        r = self.assertOk(self.p("restart", "-t", "5"))
        self.assertLines(r.err, progress(f"Restarting {self.web}", f"Restarting {self.db} "))
        for n in (self.db, self.web):
            s = harness.container_state(n)
            self.assertTrue(s["Running"])
            self.assertGreater(parse_time(s["StartedAt"]), parse_time(before[n]))
        r = self.assertOk(self.p("logs", "--no-color", "--no-log-prefix", "web"))
        self.assertEqual(r.out, f"Attaching to {self.web}\nweb-start\nweb-start\n")

    def test_logs_follow_ends_when_containers_stop(self):
        p = self.p
        proc = subprocess.Popen(p.argv("logs", "-f", "--no-color"), cwd=p.dir, text=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            # Once following, a new line shows up and stopping both ends the stream.
            first = proc.stdout.readline()
            self.assertRegex(first, r"^Attaching to ")
            self.assertOk(p("exec", "-T", "web", "sh", "-c", "echo web-live > /proc/1/fd/1"))
            self.assertOk(p("stop", "-t", "5"))
            out, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 0, err)
        lines = out.splitlines()
        self.assertIn("web_1  | web-live", lines)
        self.assertIn(f"{p.cname('db')} exited with code 0", lines)
        self.assertIn(f"{p.cname('web')} exited with code 0", lines)

    def test_pause_unpause(self):
        p = self.p
        r = self.assertOk(p("pause"))
        self.assertLines(r.err, progress(f"Pausing {self.db} ", f"Pausing {self.web}"))
        for n in (self.db, self.web):
            s = harness.container_state(n)
            self.assertEqual((s["Status"], s["Paused"], s["Running"]), ("paused", True, True))
        r = self.assertOk(p("ps"))
        self.assertRegex(r.out.splitlines()[2], rf"^{self.db} .* Paused +$")
        # exec into a paused container is refused.
        r = p("exec", "-T", "db", "true")
        self.assertNotEqual(r.rc, 0, r)
        r = self.assertOk(p("unpause"))
        self.assertLines(r.err, progress(f"Unpausing {self.db} ", f"Unpausing {self.web}"))
        for n in (self.db, self.web):
            s = harness.container_state(n)
            self.assertEqual((s["Status"], s["Paused"], s["Running"]), ("running", False, True))
        self.assertOk(p("exec", "-T", "db", "true"))


class RemoveTest(ComposeTestCase):
    def test_down_removes_only_its_project(self):
        p = self.project(two_services())
        other = self.project({"db": service("db")})
        self.up(p)
        self.up(other)
        self.assertOk(p("run", "-T", "db", "true"))
        oneoff = p.names("com.docker.compose.oneoff=True")
        self.assertEqual(len(oneoff), 1)
        r = self.assertOk(p("down", "-t", "5"))
        db, web = p.cname("db"), p.cname("web")
        # The (exited) one-off container is removed too; names are padded to the longest.
        pad = " " * (len(oneoff[0]) - len(web))
        self.assertLines(r.err, progress(f"Stopping {web}", f"Stopping {db} ",
                                         f"Removing {oneoff[0]}", f"Removing {web}{pad}",
                                         f"Removing {db} {pad}"))
        self.assertEqual(p.containers(), [])
        self.assertEqual(harness.container_json(db), None)
        self.assertTrue(harness.container_state(other.cname("db"))["Running"])
        # down again: nothing to do.
        r = self.assertOk(p("down"))
        self.assertEqual(r.err, "")

    def test_rm(self):
        p = self.project(two_services())
        self.up(p)
        db, web = p.cname("db"), p.cname("web")
        r = self.assertOk(p("rm", "-f"))
        self.assertEqual((r.out, r.err), ("No stopped containers\n", ""))
        self.assertOk(p("stop", "web"))
        r = self.assertOk(p("rm", "-f"))
        self.assertEqual(r.out, f"Going to remove {web}\n")
        self.assertLines(r.err, progress(f"Removing {web}"))
        self.assertEqual(p.names(), [db])
        r = self.assertOk(p("rm", "-s", "-f"))
        self.assertEqual(r.out, f"Going to remove {db}\n")
        self.assertLines(r.err, progress(f"Stopping {db}", f"Removing {db}"))
        self.assertEqual(p.containers(), [])
