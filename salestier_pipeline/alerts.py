"""Failure alerts: what failed in a run, sent to the alert log, a webhook and/or email.

One function, `alert_run_failure`, serves both paths: the `salestier run` command (in-process
runs have no daemon) and the run-failure sensor (runs launched by the daemon). A channel that
fails is reported on stderr and never hides the other channels or the run's own exit code.
Every text is passed through `redact` with the settings' secrets (no DSN password or webhook token
is ever written), then trimmed to MAX_TEXT, and a step's error is its innermost cause, not Dagster's
wrapper around it. The channels are those of `Settings.alerts`, read once by load_settings.
"""

from __future__ import annotations

import errno
import json
import smtplib
import sys
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import dagster as dg

from salestier_pipeline.redact import Secrets, redact, redact_data
from salestier_pipeline.settings import Settings, SmtpChannel

WEBHOOK_TIMEOUT_SECONDS = 10
PARTITION_TAG = "dagster/partition"
MAX_TEXT = 2000  # an error text longer than this is cut: alerts are for people, the UI has the rest


@dataclass(frozen=True)
class FailureReport:
    """Everything an operator needs to triage a failed night without opening the UI."""

    run_id: str
    job: str
    partition: str | None
    failed_steps: list[dict[str, str]] = field(default_factory=list)  # {step, error}
    failed_checks: list[dict[str, Any]] = field(default_factory=list)  # {asset, check, severity, text}
    run_error: str | None = None
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def summary(self) -> str:
        steps = ", ".join(s["step"] for s in self.failed_steps) or "no step (run-level failure)"
        checks = ", ".join(f"{c['asset']}:{c['check']}" for c in self.failed_checks) or "none"
        return (f"SalesTier run {self.run_id} (job {self.job}, as-of {self.partition or '?'}) FAILED; "
                f"failed step(s): {steps}; failed check(s): {checks}")

    def text(self) -> str:
        lines = [self.summary()]
        lines += [f"- step {s['step']}: {s['error']}" for s in self.failed_steps]
        lines += [f"- check {c['asset']}:{c['check']} ({c['severity']}): {c['text']}" for c in self.failed_checks]
        if self.run_error and not self.failed_steps:
            lines.append(f"- run: {self.run_error}")
        return "\n".join(lines)

    def payload(self) -> dict[str, Any]:
        """JSON body: the fields plus `text`, which chat webhooks (Slack, Mattermost, Teams) display as is."""
        return {"event": "salestier_run_failed", **asdict(self), "text": self.text()}


def _cut(text: str | None, secrets: Secrets = ()) -> str:
    """Masked before it is trimmed: a cut must never leave half a secret unmasked."""
    text = redact((text or "").strip(), secrets)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + " …"


DISK_FULL_TEXTS = ("no space left on device", "database or disk is full", f"[errno {errno.ENOSPC}]",
                   "disk quota exceeded")


def is_disk_full_text(text: str) -> bool:
    lowered = text.lower()
    return any(t in lowered for t in DISK_FULL_TEXTS)


def disk_full_error(exc: BaseException | None) -> BaseException | None:
    """The ENOSPC OSError or "database or disk is full" error anywhere in an exception's chain, else None."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return exc
        if is_disk_full_text(str(exc)):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def disk_full_message(where: Path | str, detail: str) -> str:
    return f"disk full under {where}: {detail}"


def innermost_error(error: Any) -> Any:
    """The root of a SerializableErrorInfo chain: Dagster wraps an asset's exception in
    DagsterExecutionStepExecutionError, whose message says only which op failed."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        inner = getattr(error, "cause", None) or getattr(error, "context", None)
        if inner is None:
            return error
        error = inner
    return error


def error_line(error: Any) -> str:
    """`ClassName: message` of one SerializableErrorInfo (its message starts with the qualified class name)."""
    cls_name = getattr(error, "cls_name", None) or "Error"
    message = (getattr(error, "message", None) or "").strip()
    head, sep, rest = message.partition(": ")
    if sep and head.rsplit(".", 1)[-1] == cls_name:
        message = rest.strip()
    elif message.rsplit(".", 1)[-1] == cls_name:
        message = ""
    return f"{cls_name}: {message}" if message else cls_name


def _error_text(error: Any, home: Path | None, secrets: Secrets = ()) -> str:
    text = error_line(innermost_error(error))
    if is_disk_full_text(text):
        text = disk_full_message(home or "the SalesTier home", text)
    return _cut(text, secrets)


def _step_error(data: Any, home: Path | None = None, secrets: Secrets = ()) -> str:
    user = getattr(data, "user_failure_data", None)
    if user is not None and user.description:
        return _cut(user.description, secrets)
    error = getattr(data, "error", None)
    return _error_text(error, home, secrets) if error is not None else "unknown error"


def _check_text(evaluation: Any, secrets: Secrets = ()) -> str:
    meta = {k: getattr(v, "value", v) for k, v in (evaluation.metadata or {}).items()}
    details = [f"{k}={meta[k]}" for k in ("unexpected_count", "observed", "sample_values", "where") if k in meta]
    return _cut("; ".join(filter(None, [evaluation.description or "", *map(str, details)])), secrets)


def report_from_events(run_id: str, job: str, partition: str | None, entries: Iterable[Any],
                       run_error: str | None = None, home: Path | None = None,
                       secrets: Secrets = ()) -> FailureReport:
    """Pure: failed steps and failed checks of one run from its event log entries (texts masked for `secrets`)."""
    steps: list[dict[str, str]] = []
    checks: list[dict[str, Any]] = []
    for entry in entries:
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            steps.append({"step": event.step_key or "?",
                          "error": _step_error(event.event_specific_data, home, secrets)})
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                checks.append({
                    "asset": evaluation.asset_key.to_user_string(),
                    "check": evaluation.check_name,
                    "severity": evaluation.severity.value,
                    "text": _check_text(evaluation, secrets),
                })
        elif event.event_type == dg.DagsterEventType.RUN_FAILURE and run_error is None:
            error = getattr(event.event_specific_data, "error", None)
            run_error = _error_text(error, home, secrets) if error is not None else _cut(entry.message, secrets)
    return FailureReport(run_id, job, partition, steps, checks, run_error)


def failure_report(instance: dg.DagsterInstance, run_id: str, home: Path | None = None,
                   secrets: Secrets = ()) -> FailureReport:
    """Read one run's failures from the Dagster instance (home: named in a disk-full cause)."""
    run = instance.get_run_by_id(run_id)
    entries = instance.all_logs(run_id, of_type={
        dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.ASSET_CHECK_EVALUATION, dg.DagsterEventType.RUN_FAILURE,
    })
    job = run.job_name if run else "?"
    partition = run.tags.get(PARTITION_TAG) if run else None
    return report_from_events(run_id, job, partition, entries, home=home, secrets=secrets)


def append_alert_log(path: Path, payload: Mapping[str, Any]) -> None:
    """One JSON line per alert: the channel that always works, for cron mail and log shippers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")


def post_webhook(url: str, payload: Mapping[str, Any], timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> int:
    """One POST, no retries: a down webhook must not stall or spam; the alert log still has the line."""
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "salestier"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URL set by the operator
        return int(response.status)


def send_email(config: SmtpChannel, report: FailureReport, secrets: Secrets = ()) -> None:
    message = EmailMessage()
    message["Subject"] = f"[SalesTier] run failed for as-of {report.partition or '?'}"
    message["From"] = config.sender
    message["To"] = ", ".join(config.to)
    message.set_content(redact(report.text(), secrets))
    with smtplib.SMTP(config.host, config.port, timeout=WEBHOOK_TIMEOUT_SECONDS) as smtp:
        if config.starttls:
            smtp.starttls()
        if config.user:
            smtp.login(config.user, config.password or "")
        smtp.send_message(message)


def alert_log_path(settings: Settings) -> Path:
    return settings.home / "logs" / "alerts.log"


def send_alert(report: FailureReport, settings: Settings) -> dict[str, str]:
    """Deliver to every channel of settings.alerts; returns channel → 'ok' or the error, never raises."""
    secrets = settings.secrets
    payload = redact_data(report.payload(), secrets)
    outcome: dict[str, str] = {}
    channels: list[tuple[str, Any]] = [("log", lambda: append_alert_log(alert_log_path(settings), payload))]
    webhook, smtp = settings.alerts.webhook_url, settings.alerts.smtp
    if webhook:
        channels.append(("webhook", lambda: post_webhook(webhook, payload)))
    if smtp:
        channels.append(("email", lambda: send_email(smtp, report, secrets)))
    for name, deliver in channels:
        try:
            deliver()
            outcome[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - one broken channel must not hide the others
            outcome[name] = redact(f"{type(exc).__name__}: {exc}", secrets)
            print(f"alert channel {name} failed: {outcome[name]}", file=sys.stderr)
    return outcome


def alert_run_failure(instance: dg.DagsterInstance, run_id: str, settings: Settings) -> FailureReport:
    """Build the report of a failed run from the instance and send it everywhere; never raises."""
    try:
        report = failure_report(instance, run_id, settings.home, settings.secrets)
    except Exception as exc:  # noqa: BLE001 - an unreadable event log must still alert
        report = FailureReport(run_id, "?", None,
                               run_error=_cut(f"could not read the run's events: {exc}", settings.secrets))
    send_alert(report, settings)
    return report
