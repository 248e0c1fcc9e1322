"""The container image and the replicas' compose file agree with the repository (Docker does not run
here, so they are read, not built), and deploy/haproxy.cfg is the configuration both compose.yaml
and the replicas browser test (tests/browser/test_browser_replicas.py) use.
"""
from __future__ import annotations

import ast
import dataclasses
import fnmatch
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from streamlit.web.server.starlette.starlette_routes import ROUTE_HEALTH

ROOT = Path(__file__).resolve().parent.parent
from deploy.replicas import BIND_LINE, CONFIG, HAPROXY, HEALTH, LOG_LINE, SERVERS_LINE, Request, local_config  # noqa: E402
from ui.limits import ENV_NAMES, Limits  # noqa: E402

DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = (ROOT / "compose.yaml").read_text()
HAPROXY_CFG = CONFIG.read_text()


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each Dockerfile line, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip() if " " in line.strip() else "")
            for line in joined.splitlines() if line.strip()]


INSTRUCTIONS = instructions(DOCKERFILE)


def args(name: str) -> list[str]:
    return [a for n, a in INSTRUCTIONS if n == name]


def copies() -> list[tuple[str, str]]:
    """(source, destination) of each COPY, --chown and the like dropped."""
    found = []
    for a in args("COPY"):
        words = [w for w in shlex.split(a) if not w.startswith("--")]
        found += [(src, words[-1]) for src in words[:-1]]
    return found


def exec_form(a: str) -> list[str]:
    return ast.literal_eval(a)


def cmd_option(name: str) -> str:
    [cmd] = args("CMD")
    words = exec_form(cmd)
    return words[words.index(name) + 1]


# --- Dockerfile ----------------------------------------------------------------------------------

def test_the_image_is_slim_python_3_11_run_by_a_user_without_privileges():
    assert args("FROM") == ["python:3.11-slim"]
    users = args("USER")
    assert users and users[-1] not in {"root", "0"}
    last_user = max(i for i, (n, _) in enumerate(INSTRUCTIONS) if n == "USER")
    assert last_user < next(i for i, (n, _) in enumerate(INSTRUCTIONS) if n == "CMD")
    assert any(users[-1] in a for a in args("RUN") if "useradd" in a)   # the user is made in the image


def test_the_image_installs_the_pinned_requirements_it_copies():
    """requirements.txt pins every package (its `-e .` installs this checkout, pyproject.toml): the
    image installs it after copying what that needs, and the pins before any code (cached layer)."""
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[\w.]+", line) or line == "-e ." for line in lines), lines
    steps = [(n, a) for n, a in INSTRUCTIONS if n in {"COPY", "RUN"}]
    installs = [i for i, (n, a) in enumerate(steps) if n == "RUN" and re.search(r"pip install\b.*-r \S*requirements\.txt", a)]
    assert installs, "no RUN pip install -r requirements.txt"

    def copied_before(i: int) -> set[str]:
        return {src.rstrip("/") for n, a in steps[:i] if n == "COPY"
                for src in shlex.split(a)[:-1] if not src.startswith("--")}

    assert "requirements.txt" in copied_before(installs[0])
    assert "app.py" not in copied_before(installs[0])            # the pins come before the code
    if "-e ." in lines:
        needed = {"pyproject.toml", "README.md", "mnistcore", "ui", "deploy"}   # pyproject's readme and packages
        assert needed <= copied_before(installs[-1]), needed - copied_before(installs[-1])
        assert "packages.find" in (ROOT / "pyproject.toml").read_text()
        for package in re.findall(r'"(\w+)"', re.search(r"include = \[(.*)\]", (ROOT / "pyproject.toml").read_text())[1]):
            assert package in needed, package


def test_every_file_the_image_copies_exists_and_is_not_dockerignored():
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for src, _ in copies():
        assert (ROOT / src).exists(), src
        assert not any(fnmatch.fnmatch(src, pattern) or src.startswith(pattern.rstrip("/") + "/")
                       for pattern in ignored), (src, ignored)
    for kept_out in (".venv", ".git", ".streamlit/secrets.toml"):
        assert kept_out in ignored


def test_the_image_holds_every_local_module_the_app_imports():
    """Whatever app.py, pages/ and ui/ import from this repository is copied into the image."""
    copied = {src.rstrip("/") for src, _ in copies()}
    local = {p.name if p.is_dir() else p.stem for p in ROOT.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top in local:
                    assert top in copied or f"{top}.py" in copied, (path.name, name)
    assert {"app.py", "pages", ".streamlit/config.toml"} <= copied


def test_the_demo_limits_are_environment_variables_of_the_image_at_their_defaults():
    env = {}
    for a in args("ENV"):
        env.update(dict(pair.split("=", 1) for pair in shlex.split(a)))
    limits = {k: v for k, v in env.items() if k.startswith("MNIST_")}
    assert set(limits) == set(ENV_NAMES.values())
    defaults = dataclasses.asdict(Limits())
    for field, name in ENV_NAMES.items():
        assert int(limits[name]) == defaults[field], name


def test_the_health_check_asks_streamlits_health_endpoint_on_the_port_it_serves():
    assert HEALTH == "/" + ROUTE_HEALTH
    [check] = args("HEALTHCHECK")
    command = exec_form(check.split("CMD", 1)[1].strip())
    port = cmd_option("--server.port")
    assert f"127.0.0.1:{port}{HEALTH}" in " ".join(command)
    assert command[:2] == ["python", "-c"]
    compile(command[2], "<HEALTHCHECK>", "exec")   # the Python it runs is valid
    assert args("EXPOSE") == [port]
    [cmd] = args("CMD")
    assert exec_form(cmd)[:5] == ["python", "-m", "streamlit", "run", "app.py"]
    assert cmd_option("--server.address") == "0.0.0.0"   # reachable by the proxy's container


# --- compose.yaml and deploy/haproxy.cfg -----------------------------------------------------------

def service(name: str) -> str:
    """The text of one service of compose.yaml (its indented block)."""
    m = re.search(rf"^  {name}:\n((?:    .*\n|\s*\n)+)", COMPOSE, re.M)
    assert m, f"no service {name} in compose.yaml"
    return m[1]


def test_compose_builds_this_image_and_passes_the_demo_limits_through():
    app = service("app")
    assert re.search(r"^    build: \.$", app, re.M)
    listed = set(re.findall(r"^      - (MNIST_\w+)$", app, re.M))
    assert listed == set(ENV_NAMES.values())
    assert not re.search(r"^    ports:", app, re.M)   # replicas are reached through the proxy only


def test_compose_mounts_the_repository_proxy_config_and_publishes_its_port():
    proxy = service("proxy")
    [mount] = re.findall(r"^    volumes:\n      - ([^:\s]+):([^:\s]+)(?::ro)?$", proxy, re.M)
    assert (ROOT / mount[0]).resolve() == CONFIG
    assert mount[1] == "/usr/local/etc/haproxy/haproxy.cfg"   # where the haproxy image reads it
    assert re.search(r"^    image: haproxy:", proxy, re.M)
    [published] = re.findall(r'^    ports:\n      - "(\d+):(\d+)"$', proxy, re.M)
    bind = re.search(r"^\s*bind :(\d+)\s*$", HAPROXY_CFG, re.M)[1]
    assert published[1] == bind


def test_the_proxy_reaches_the_compose_replicas_on_the_port_the_image_serves():
    template = SERVERS_LINE.search(HAPROXY_CFG)[0].split()
    slots, target = template[2], template[3]
    host, port = target.rsplit(":", 1)
    assert host == "app" and port == cmd_option("--server.port")
    assert "resolvers" in template and "check" in template
    replicas = int(re.search(r"replicas: (\d+)", service("app"))[1])
    assert 1 <= replicas <= int(slots.split("-")[-1])
    assert f"option httpchk GET {HEALTH}" in HAPROXY_CFG


# --- the same config without Docker ---------------------------------------------------------------

def test_local_config_changes_only_the_port_and_the_list_of_replicas():
    local = local_config(9001, [("127.0.0.1", 9101), ("127.0.0.1", 9102)])
    old, new = HAPROXY_CFG.splitlines(), local.splitlines()
    changed_old = [line for line in old if line not in new]
    added = [line for line in new if line not in old]
    assert len(changed_old) == 2 and all(BIND_LINE.match(line) or SERVERS_LINE.match(line) for line in changed_old)
    assert [line.strip() for line in added] == [
        "bind 127.0.0.1:9001", "server app1 127.0.0.1:9101 check", "server app2 127.0.0.1:9102 check"]


def test_local_config_refuses_a_config_it_cannot_template():
    with pytest.raises(ValueError, match="exactly one line"):
        local_config(9001, [("127.0.0.1", 9101)], HAPROXY_CFG.replace("bind :8080", "bind :80"))
    with pytest.raises(ValueError, match="at least one replica"):
        local_config(9001, [])


@pytest.mark.skipif(shutil.which(HAPROXY, path="/usr/sbin:/usr/bin:/sbin:/bin") is None, reason="haproxy is not installed")
@pytest.mark.parametrize("which", ["compose", "local"])
def test_haproxy_accepts_the_config(tmp_path, which):
    text = HAPROXY_CFG if which == "compose" else local_config(9001, [("127.0.0.1", 9101)])
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    binary = shutil.which(HAPROXY, path="/usr/sbin:/usr/bin:/sbin:/bin")
    checked = subprocess.run([binary, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_logged_request_names_its_visitor_and_replica():
    line = ('127.0.0.1:52824 [02/Dec/2026:05:59:46.345] web replicas/app1 0/0/1/1/+2 101 +222 - - --VN '
            '16/16/4/2/0 0/0 {Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 visitor-3} '
            '"GET /_stcore/stream HTTP/1.1"')
    m = LOG_LINE.search(line)
    got = Request(m["agent"], m["server"], m["method"], m["path"], int(m["status"]))
    assert got == Request("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 visitor-3", "app1", "GET",
                          "/_stcore/stream", 101)
