"""The files in deploy/: the nginx site passes `nginx -t` and, run for real in front
of the bot's webhook server, exposes only the two webhooks and /healthz and cuts
off oversized bodies; the systemd unit passes `systemd-analyze verify`; the compose
file and Dockerfile agree with the settings and the repository (docker cannot run
here, so the image is not built). Tools that are missing skip with the reason."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web

from bot.settings import Settings
from tests.procs import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx-thidua-bot.conf"
UNIT = DEPLOY / "thidua-bot.service"
CERT_DIR = "/etc/letsencrypt/live/bot.example.vn"


def need(tool: str) -> str:
    path = shutil.which(tool) or next((p for p in (f"/usr/sbin/{tool}", f"/sbin/{tool}") if os.access(p, os.X_OK)),
                                      None)
    if path is None:
        pytest.skip(f"{tool} is not installed here (apt-get install {tool} to run this check)")
    return path


def self_signed(tmp: Path) -> None:
    subprocess.run([need("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=bot.example.vn", "-keyout", str(tmp / "privkey.pem"),
                    "-out", str(tmp / "fullchain.pem")], check=True, capture_output=True)


def nginx_conf(tmp: Path, http_port: int = 80, https_port: int = 443, upstream_port: int = 8080) -> Path:
    """The shipped site inside a minimal nginx.conf that writes only under `tmp`:
    certificate paths, ports and log files are the only things changed."""
    self_signed(tmp)
    site = SITE.read_text(encoding="utf-8")
    site = site.replace(CERT_DIR, str(tmp)).replace("/var/log/nginx/", f"{tmp}/")
    site = site.replace("127.0.0.1:8080", f"127.0.0.1:{upstream_port}")
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{http_port};", site)
    site = re.sub(r"listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;", site)
    site = re.sub(r"\s*listen \[::\]:\d+( ssl)?;", "", site)  # no IPv6 in every container
    (tmp / "site.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(f"    {kind}_temp_path {tmp}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = tmp / "nginx.conf"
    conf.write_text(f"""pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
daemon off;
events {{ worker_connections 64; }}
http {{
{temp}
    access_log off;
    include {tmp}/site.conf;
}}
""", encoding="utf-8")
    return conf


def test_nginx_accepts_the_shipped_site(tmp_path: Path):
    nginx = need("nginx")
    conf = nginx_conf(tmp_path)
    done = subprocess.run([nginx, "-t", "-e", str(tmp_path / "error.log"), "-c", str(conf)], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr
    site = SITE.read_text(encoding="utf-8")
    for directive in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        seconds = re.search(rf"^\s*{directive} (\d+)s;", site, re.M)
        assert seconds and int(seconds.group(1)) <= 30, f"{directive} must stop slow clients"


async def test_nginx_in_front_of_the_bot_exposes_only_the_webhooks_and_healthz(tmp_path: Path):
    nginx = need("nginx")
    reached: list[str] = []

    async def anything(request: web.Request) -> web.Response:
        reached.append(f"{request.method} {request.path}")
        await request.read()
        return web.json_response({"ok": True})

    backend = web.Application(client_max_size=8 * 1024 * 1024)
    backend.router.add_route("*", "/{tail:.*}", anything)
    runner = web.AppRunner(backend)
    await runner.setup()
    upstream = free_port()
    await web.TCPSite(runner, "127.0.0.1", upstream).start()
    https = free_port()
    conf = nginx_conf(tmp_path, http_port=free_port(), https_port=https, upstream_port=upstream)
    proc = subprocess.Popen([nginx, "-e", str(tmp_path / "error.log"), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    tls = ssl.create_default_context(cafile=str(tmp_path / "fullchain.pem"))
    tls.check_hostname = False  # the test certificate names bot.example.vn; we connect to 127.0.0.1
    base = f"https://127.0.0.1:{https}"
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls)) as http:
            deadline = time.monotonic() + 20
            while True:  # until nginx accepts TLS connections
                assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
                try:
                    async with http.get(f"{base}/healthz") as r:
                        assert r.status == 200
                        break
                except aiohttp.ClientConnectorError:
                    assert time.monotonic() < deadline, "nginx did not start listening"
                    await asyncio.sleep(0.05)

            async def status(method: str, path: str, body: bytes = b"{}") -> int:
                async with http.request(method, f"{base}{path}", data=body if method == "POST" else None) as r:
                    await r.read()
                    return r.status

            assert await status("POST", "/webhook/telegram") == 200
            assert await status("POST", "/webhook/zalo") == 200
            for method, path in [("GET", "/"), ("GET", "/webhook/"), ("POST", "/webhook/other"),
                                 ("GET", "/webhook/telegram/../../admin"), ("POST", "/healthz/x"),
                                 ("GET", "/.env")]:
                assert await status(method, path) == 404, (method, path)
            assert await status("GET", "/webhook/telegram") == 403  # only POST
            assert await status("POST", "/webhook/zalo", b"x" * (2 * 1024 * 1024)) == 413
            # nginx refuses what the bot would refuse (256 KB), and passes what it would take.
            assert await status("POST", "/webhook/telegram", b"x" * (256 * 1024 + 1)) == 413
            assert await status("POST", "/webhook/telegram", b"x" * (200 * 1024)) == 200
        assert reached == ["GET /healthz", "POST /webhook/telegram", "POST /webhook/zalo", "POST /webhook/telegram"]
    finally:
        proc.terminate()
        proc.wait(10)
        await runner.cleanup()


def test_systemd_unit_passes_verify(tmp_path: Path):
    analyze = need("systemd-analyze")
    unit = UNIT.read_text(encoding="utf-8")
    # RestartPreventExitStatus=2: no token or invalid settings exit 2, and restarting cannot help.
    for setting in ("Restart=always", "User=thidua", "EnvironmentFile=/etc/thidua-bot/env",
                    "RestartPreventExitStatus=2"):
        assert re.search(rf"^{re.escape(setting)}$", unit, re.M), setting
    # verify checks that ExecStart exists; the venv of /opt/thidua-bot does not here.
    copy = tmp_path / "thidua-bot.service"
    copy.write_text(unit.replace("/opt/thidua-bot/.venv/bin/python", sys.executable), encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if "thidua-bot" in line]
    assert done.returncode == 0 and not complaints, done.stdout + done.stderr


def test_compose_and_dockerfile_agree_with_the_code():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    bot, pg = compose["services"]["bot"], compose["services"]["db"]
    settings = {name.upper() for name in Settings.model_fields}
    assert set(bot["environment"]) <= settings, set(bot["environment"]) - settings
    assert "@db:5432/" in bot["environment"]["DATABASE_URL"]
    assert pg["environment"]["POSTGRES_DB"] in bot["environment"]["DATABASE_URL"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy" and "healthcheck" in pg
    assert bot["restart"] == pg["restart"] == "always"
    dockerfile = (DEPLOY / bot["build"]["dockerfile"].removeprefix("deploy/")).read_text(encoding="utf-8")
    for source in re.findall(r"^COPY (.+?) \S+$", dockerfile, re.M):
        for part in source.split():
            assert (ROOT / part).exists(), f"Dockerfile copies {part}, which is not in the repository"
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert 'CMD ["python", "-m", "bot", "run"]' in dockerfile


def _lock_names(path: Path) -> set[str]:
    return {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower()
            for line in path.read_text(encoding="utf-8").splitlines() if "==" in line}


def _runtime_closure() -> set[str]:
    """The distributions the project's declared dependencies need, read from the installed metadata."""
    import tomllib
    from importlib.metadata import distribution

    from packaging.requirements import Requirement

    seen: dict[str, set[str]] = {}

    def walk(spec: str, extras: tuple[str, ...]) -> None:
        req = Requirement(spec)
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in extras):
            return
        key = re.sub(r"[-_.]+", "-", req.name).lower()
        if key in seen and set(req.extras) <= seen[key]:
            return
        seen.setdefault(key, set()).update(req.extras)
        for sub in distribution(req.name).requires or []:
            walk(sub, tuple(seen[key]) or ("",))

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for spec in project["dependencies"]:
        walk(spec, ("",))
    return set(seen)


def test_runtime_and_development_locks_are_apart():
    # The image carried pytest, ruff and pytest-asyncio: one lock mixed both sets.
    runtime, dev = _lock_names(ROOT / "requirements.lock"), _lock_names(ROOT / "requirements-dev.lock")
    assert runtime == _runtime_closure(), (runtime ^ _runtime_closure())
    assert {"pytest", "pytest-asyncio", "ruff"} <= dev and not runtime & dev
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^RUN pip install -r requirements\.lock$", dockerfile, re.M)
    assert "requirements-dev" not in re.sub(r"#.*", "", dockerfile)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^LOCKS := requirements\.lock requirements-dev\.lock$", makefile, re.M)


def test_image_and_compose_check_health_and_mount_the_content():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^\s+CMD \["python", "-m", "bot", "health"\]$', dockerfile, re.M)
    assert re.search(r"^HEALTHCHECK ", dockerfile, re.M)
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    bot = compose["services"]["bot"]
    assert bot["healthcheck"]["test"] == ["CMD", "python", "-m", "bot", "health"]
    # Content edits survive a rebuild and /reload sees them: the repository's folder is mounted
    # where CONTENT_DIR points.
    mounts = dict(v.rsplit(":", 1)[0].split(":", 1) if v.count(":") == 2 else v.split(":", 1) for v in bot["volumes"])
    assert mounts.get("../content") == bot["environment"]["CONTENT_DIR"]
    assert (DEPLOY / "../content/entries").is_dir()
    settings = {name.upper() for name in Settings.model_fields}
    for name in ("backup", "db-backup"):
        service = compose["services"][name]
        assert service["restart"] == "always" and "./backups:/backups" in service["volumes"]
        assert set(service.get("environment", {})) - {"PGPASSWORD"} <= settings
    assert "--keep 14" in " ".join(compose["services"]["backup"]["entrypoint"])
    assert "tail -n +15" in " ".join(compose["services"]["db-backup"]["entrypoint"])  # keeps 14 dumps too


def test_backup_timer_and_service_pass_verify(tmp_path: Path):
    analyze = need("systemd-analyze")
    service = (DEPLOY / "thidua-bot-backup.service").read_text(encoding="utf-8")
    timer = (DEPLOY / "thidua-bot-backup.timer").read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=\S+ -m bot backup --dir /var/backups/thidua-bot --keep \d+$", service, re.M)
    assert re.search(r"^OnCalendar=", timer, re.M) and re.search(r"^Persistent=true$", timer, re.M)
    (tmp_path / "thidua-bot-backup.service").write_text(
        service.replace("/opt/thidua-bot/.venv/bin/python", sys.executable), encoding="utf-8")
    (tmp_path / "thidua-bot-backup.timer").write_text(timer, encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(tmp_path / "thidua-bot-backup.timer"),
                           str(tmp_path / "thidua-bot-backup.service")], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if "thidua-bot" in line]
    assert done.returncode == 0 and not complaints, done.stdout + done.stderr


def test_nginx_and_readme_state_the_bots_own_body_limit():
    # The nginx comment said the bot refuses more than 1 MB, the README 256 KB.
    from bot.telegram.channel import MAX_BODY as TG
    from bot.zalo.adapter import MAX_BODY as ZALO

    assert TG == ZALO == 256 * 1024
    site = SITE.read_text(encoding="utf-8")
    server_level = re.findall(r"^    client_max_body_size (\S+);", site, re.M)
    assert server_level == ["256k"], server_level
    one_mb = re.compile(r"(?<![\d,.])1 MB")  # not "371 MB", a memory figure
    assert not one_mb.search(site)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert not one_mb.search(readme) and "256 KB" in readme
