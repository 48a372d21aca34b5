"""Secrets are never written: a malformed DSN's password appears in no output, log or Dagster storage."""

from __future__ import annotations

import email
import email.policy
import json
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.alerts import FailureReport, send_alert
from salestier_pipeline.publish.postgres import PostgresPublishError, publish_to_postgres
from salestier_pipeline.redact import redact
from salestier_pipeline.settings import load_settings
from tests.runner import run_salestier
from tests.test_alerts import Webhook, webhook  # noqa: F401 - shared fixture

PASSWORD = "pa%zzS3cretPW"
BAD_DSN = f"postgresql://salestier:{PASSWORD}@127.0.0.1/db"  # %zz: libpq quotes the token in its error
TOKEN = "T0KEN-b7f3e9a1c4d2"
SMTP_PASSWORD = "smtp-S3cret-42"
ENV = {
    "SALESTIER_PG_DSN": BAD_DSN,
    "SALESTIER_ALERT_WEBHOOK_URL": f"https://hooks.example.com/services/{TOKEN}?sig=abc123",
    "SALESTIER_ALERT_SMTP_PASSWORD": SMTP_PASSWORD,  # used (so it can be quoted) only with a HOST and a TO
    "SALESTIER_ALERT_SMTP_HOST": "mail.example.com",
    "SALESTIER_ALERT_SMTP_TO": "ops@example.com",
}


@pytest.mark.parametrize(("text", "expected"), [
    (f'invalid percent-encoded token: "{PASSWORD}"', 'invalid percent-encoded token: "***"'),
    ("to postgresql://bob:hunter22@db.example/sales failed", "to postgresql://bob:***@db.example/sales failed"),
    ("host=db user=bob password='se cret' dbname=x", "host=db user=bob password=*** dbname=x"),
    ("postgres://u@h/db?password=abc&sslmode=require", "postgres://u@h/db?password=***&sslmode=require"),
    (f"POST https://hooks.example.com/services/{TOKEN}?sig=abc123 failed", "POST https://hooks.example.com/*** failed"),
    (f"token /services/{TOKEN} rejected", "token /*** rejected"),
    (f"535 auth failed for {SMTP_PASSWORD}", "535 auth failed for ***"),
    ("http://127.0.0.1:8080/alert and /home/logs/alerts.log", "http://127.0.0.1:8080/alert and /home/logs/alerts.log"),
])
def test_redact_masks_every_form(text: str, expected: str) -> None:
    assert redact(text, load_settings(ENV).secrets) == expected


def test_redact_masks_fragments_of_an_unparseable_dsn() -> None:
    # libpq splits at the first @, quoting the password's tail as part of the host
    secrets = load_settings({"SALESTIER_PG_DSN": "postgresql://u:Abc@Secret9@127.0.0.1:1/db"}).secrets
    assert redact("failed to resolve host 'Secret9@127.0.0.1'", secrets) == "failed to resolve host '***@127.0.0.1'"
    assert redact("pw Abc@Secret9", secrets) == "pw ***"


def test_driver_error_is_reraised_masked_and_unchained(tmp_path: Path) -> None:
    """Real psycopg on a real malformed DSN: Dagster stores __cause__/__context__, so neither may exist."""
    serving = tmp_path / "salestier.duckdb"
    duckdb.connect(str(serving)).close()
    with pytest.raises(PostgresPublishError) as caught:
        publish_to_postgres(serving, BAD_DSN)
    error = caught.value
    assert PASSWORD not in str(error) and '"***"' in str(error)
    assert "ProgrammingError" in str(error) and "percent-encoded" in str(error)
    assert error.__cause__ is None and error.__context__ is None


@dataclass
class Mailbox:
    port: int
    messages: list[bytes]


@pytest.fixture()
def smtp_server() -> Iterator[Mailbox]:
    """Just enough of SMTP (no AUTH, no TLS) for smtplib.send_message to deliver one message."""
    box = Mailbox(0, [])

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.wfile.write(b"220 test ESMTP\r\n")
            while line := self.rfile.readline():
                verb = line[:4].upper()
                if verb == b"DATA":
                    self.wfile.write(b"354 go on\r\n")
                    lines = iter(self.rfile.readline, b".\r\n")
                    body = b"".join(x[1:] if x.startswith(b".") else x for x in lines)  # undo dot-stuffing
                    box.messages.append(body)
                    self.wfile.write(b"250 queued\r\n")
                elif verb == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 ok\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    box.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield box
    server.shutdown()
    server.server_close()


def test_every_alert_channel_is_masked(tmp_path: Path, webhook: Webhook, smtp_server: Mailbox) -> None:  # noqa: F811
    leak = f"could not connect to {BAD_DSN} (password {SMTP_PASSWORD}, hook {TOKEN})"
    report = FailureReport("r1", "salestier_nightly", "2026-11-27", [{"step": "serving__postgres", "error": leak}])
    env = {**ENV, "SALESTIER_ALERT_WEBHOOK_URL": webhook.url + "/" + TOKEN, "SALESTIER_ALERT_SMTP_HOST": "127.0.0.1",
           "SALESTIER_ALERT_SMTP_PORT": str(smtp_server.port), "SALESTIER_ALERT_SMTP_TO": "ops@example.com",
           "SALESTIER_ALERT_SMTP_STARTTLS": "0", "SALESTIER_HOME": str(tmp_path)}
    before = len(webhook.posts)
    outcome = send_alert(report, load_settings(env))
    assert outcome == {"log": "ok", "webhook": "ok", "email": "ok"}
    written = {
        "log": (tmp_path / "logs" / "alerts.log").read_text(encoding="utf-8"),
        "webhook": json.dumps(webhook.posts[before:]),
        "email": "".join(str(email.message_from_bytes(m, policy=email.policy.default).get_content())
                         for m in smtp_server.messages),
    }
    for channel, text in written.items():
        for secret in (PASSWORD, SMTP_PASSWORD, TOKEN):
            assert secret not in text, f"{secret} leaked through the {channel} channel"
        assert "postgresql://salestier:***@127.0.0.1/db" in text, channel


@pytest.fixture(scope="module")
def bad_dsn_run(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path):
    home = tmp_path_factory.mktemp("secrets_home")
    demo = run_salestier(home, "demo", "--scale", "0.1")
    assert demo.returncode == 0, demo.stderr
    result = run_salestier(home, "run", extra_env={"SALESTIER_PG_DSN": BAD_DSN}, timeout=900)
    return home, result


@pytest.mark.slow
def test_a_malformed_dsn_password_is_written_nowhere(bad_dsn_run) -> None:
    home, result = bad_dsn_run
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-4000:]
    assert "serving__postgres" in result.stderr
    assert PASSWORD not in result.stdout and PASSWORD not in result.stderr
    storage = [p for p in (home / "dagster").rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in storage) and any("compute_logs" in p.parts for p in storage)
    leaked = [str(p) for p in [*storage, *(home / "logs").rglob("*")] if p.is_file()
              and PASSWORD.encode() in p.read_bytes()]
    assert leaked == []
    # the error is still there, masked: in the alert and in Dagster's own event log
    [alert] = [json.loads(line) for line in (home / "logs" / "alerts.log").read_text(encoding="utf-8").splitlines()]
    [step] = [s for s in alert["failed_steps"] if s["step"] == "serving__postgres"]
    assert step["error"] == ('PostgresPublishError: PostgreSQL publish failed: ProgrammingError: '
                             'invalid percent-encoded token: "***"')
    assert any(b"percent-encoded token" in p.read_bytes() for p in storage if p.suffix == ".db")
