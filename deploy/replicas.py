"""Replicas of the app behind HAProxy without Docker: deploy/haproxy.cfg run on this machine.

    python deploy/replicas.py [--replicas 2] [--port 8501]

starts that many ``streamlit run app.py`` on free ports of 127.0.0.1 and Debian's haproxy
(``apt-get install haproxy``) in front of them on ``--port``, in the foreground; Ctrl-C stops
them all. The proxy's configuration is deploy/haproxy.cfg, the file compose.yaml mounts, with
only its listening port and its list of replicas swapped (`local_config`): the stickiness, the
WebSocket handling, the health checks and the failover are the ones a compose deployment runs.

The browser test tests/browser/test_browser_replicas.py and benchmarks/bench_replicas.py use
`running_proxy` and `Proxy.requests` from here.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().with_name("haproxy.cfg")
HAPROXY = "haproxy"
HEALTH = "/_stcore/health"   # Streamlit's health endpoint: "ok" once the server is up
START_TIMEOUT = 60.0         # seconds for a replica or the proxy to answer

# The two lines of haproxy.cfg that depend on where things run (each must appear exactly once).
BIND_LINE = re.compile(r"^(\s*)bind :8080\s*$", re.M)
SERVERS_LINE = re.compile(r"^(\s*)server-template app .*$", re.M)
# One line of HAProxy's httplog format, e.g.
# 127.0.0.1:40112 [02/Dec/2026:06:10:00.123] web replicas/app2 0/0/0/3/+3 200 +480 - - --NI 3/3/1/1/0 0/0
#     {Mozilla/5.0 ... visitor-3} "GET /_stcore/host-config HTTP/1.1"
LOG_LINE = re.compile(r" web (?P<backend>\S+)/(?P<server>\S+) \S+ (?P<status>-?\d+) .*?"
                      r"\{(?P<agent>[^}]*)\} \"(?P<method>\S+) (?P<path>\S+)")


def local_config(port: int, replicas: list[tuple[str, int]], text: str | None = None) -> str:
    """deploy/haproxy.cfg listening on 127.0.0.1:`port` in front of `replicas` (host, port).

    The replicas are named app1, app2, ... as compose's server-template names them.
    """
    text = CONFIG.read_text() if text is None else text
    for pattern in (BIND_LINE, SERVERS_LINE):
        if len(pattern.findall(text)) != 1:
            raise ValueError(f"{CONFIG.name}: expected exactly one line matching {pattern.pattern!r}")
    if not replicas:
        raise ValueError("at least one replica is needed")
    text = BIND_LINE.sub(lambda m: f"{m[1]}bind 127.0.0.1:{port}", text)
    servers = "\n".join(f"{{indent}}server app{i} {host}:{p} check" for i, (host, p) in enumerate(replicas, 1))
    return SERVERS_LINE.sub(lambda m: servers.replace("{indent}", m[1]), text)


@dataclass(frozen=True)
class Request:
    """One request as the proxy logged it: who asked (User-Agent), which replica answered."""
    agent: str
    server: str
    method: str
    path: str
    status: int


@dataclass
class Proxy:
    url: str
    log: Path   # HAProxy's log: one line per request (see LOG_LINE)
    pid: int

    def requests(self) -> list[Request]:
        """Every request logged so far (a WebSocket is logged when its upgrade is answered)."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            m = LOG_LINE.search(line)
            if m:
                found.append(Request(m["agent"], m["server"], m["method"], m["path"], int(m["status"])))
        return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + HEALTH, timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start on {url} (exit code {proc.poll()}):\n"
                               f"{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    """Terminate `proc`'s process group (it was started in a session of its own), then kill it."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def running_proxy(replicas: list[str], port: int | None = None) -> Iterator[Proxy]:
    """HAProxy with deploy/haproxy.cfg in front of `replicas` (base URLs such as
    "http://127.0.0.1:8601"), in the foreground in a temporary folder, stopped whatever happens.
    Yields once the proxy answers the health check (so at least one replica is up)."""
    binary = shutil.which(HAPROXY) or shutil.which(HAPROXY, path="/usr/sbin:/sbin")
    if binary is None:
        raise FileNotFoundError("haproxy is not installed (apt-get install haproxy)")
    port = port or free_port()
    servers = []
    for url in replicas:
        host, _, p = url.split("://", 1)[-1].rstrip("/").rpartition(":")
        servers.append((host, int(p)))
    with tempfile.TemporaryDirectory(prefix="mnist-haproxy-") as tmp:
        config, log = Path(tmp, "haproxy.cfg"), Path(tmp, "haproxy.log")
        config.write_text(local_config(port, servers))
        with log.open("w") as out:
            # -db: stay in the foreground; -W is not needed (no reloads). Its log goes to stdout.
            proc = subprocess.Popen([binary, "-db", "-f", str(config)], cwd=tmp, stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                url = f"http://127.0.0.1:{port}"
                wait_healthy(url, proc, log, "haproxy")
                yield Proxy(url, log, proc.pid)
            finally:
                stop(proc)


@dataclass
class Replica:
    """One ``streamlit run app.py``: its base URL and its process (stop() ends it, as a host would)."""
    url: str
    proc: subprocess.Popen

    def stop(self) -> None:
        stop(self.proc)


@contextlib.contextmanager
def running_replicas(n: int) -> Iterator[list[Replica]]:
    """`n` processes of ``streamlit run app.py`` on free ports of 127.0.0.1, stopped whatever happens."""
    procs, urls = [], []
    with tempfile.TemporaryDirectory(prefix="mnist-replicas-") as tmp:
        try:
            for i in range(n):
                port = free_port()
                log = Path(tmp, f"app{i + 1}.log")
                command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                           "--server.address", "127.0.0.1", "--server.port", str(port),
                           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
                with log.open("w") as out:
                    procs.append(subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                                  stdin=subprocess.DEVNULL, start_new_session=True))
                urls.append(f"http://127.0.0.1:{port}")
            for i, (url, proc) in enumerate(zip(urls, procs)):
                wait_healthy(url, proc, Path(tmp, f"app{i + 1}.log"), f"replica {i + 1}")
            yield [Replica(url, proc) for url, proc in zip(urls, procs)]
        finally:
            for proc in procs:
                stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--port", type=int, default=8501, help="the proxy's port (default 8501)")
    args = parser.parse_args()
    if not 1 <= args.replicas <= 16:
        parser.error("--replicas must be between 1 and 16 (haproxy.cfg's server-template has 16 slots)")
    if not 1 <= args.port <= 65535:
        parser.error("--port must be a TCP port (1 to 65535)")
    try:
        with running_replicas(args.replicas) as replicas, \
                running_proxy([r.url for r in replicas], args.port) as proxy:
            print(f"{args.replicas} replicas ({', '.join(r.url for r in replicas)}) behind {proxy.url}; Ctrl-C stops them", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    except (OSError, RuntimeError) as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
