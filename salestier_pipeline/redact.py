"""Mask secrets in any text SalesTier writes: logs, alerts, stderr, re-raised driver errors.

Three layers, because a driver error may quote a secret in any shape: URL userinfo
(`postgresql://user:***@host`), libpq `password=` keywords, and the exact secret values
of the settings (`Settings.secrets`, passed in by the caller), so even a DSN too malformed
to parse is masked wherever a fragment of it is quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

MASK = "***"
Secrets = tuple[tuple[str, str], ...]  # (secret, replacement), longest secret first
MIN_SECRET_CHARS = 4  # shorter values are masked by the patterns only: masking "ab" everywhere garbles messages
MIN_URL_TOKEN_CHARS = 12  # a webhook URL's path or query, masked wherever it is quoted without the host
MIN_TOKEN_SEGMENT_CHARS = 16  # one path segment or query value this long is a token (Slack's is 24)

# scheme://user:PASSWORD@host: the password runs to the last @ before the host part
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/?#@'\"]*:)([^\s'\"/]*)@")
# libpq keyword/value and URI query forms: password=secret, password = 'se cret', ?password=secret&...
_KEYWORD = re.compile(r"(?i)\b(password|passwd|pwd)(\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'\"]+)")


def _dsn_secrets(dsn: str) -> set[str]:
    """The password of a DSN in every form a driver might quote it, parseable or not."""
    found: set[str] = set()
    if "://" in dsn:
        rest = dsn.split("://", 1)[1]
        # the userinfo ends at the last @ of the authority, or of the whole rest when a raw / is in the password
        for part in (rest.split("/", 1)[0], rest):
            userinfo = part.rsplit("@", 1)[0] if "@" in part else ""
            if ":" in userinfo:
                password = userinfo.split(":", 1)[1]
                found |= {password, unquote(password), *password.split("@")}
                break
    found |= {m[3].strip("'") for m in _KEYWORD.finditer(dsn)}
    return found


def _webhook_secrets(url: str) -> dict[str, str]:
    """Webhook URLs carry their token in the path or query: keep scheme and host, mask the rest."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return {url: MASK}
    if not parts.netloc:
        return {url: MASK}
    base = f"{parts.scheme}://{parts.netloc}"
    pieces = {url[len(base):]: f"/{MASK}", parts.path: f"/{MASK}", parts.query: MASK}
    # a fragment alone is masked only when long enough to be a token: "/alert" is also part of "alerts.log"
    pieces = {k: v for k, v in pieces.items() if len(k) >= MIN_URL_TOKEN_CHARS}
    tokens = re.split(r"[/?&=]", f"{parts.path}?{parts.query}")
    pieces |= {t: MASK for t in tokens if len(t) >= MIN_TOKEN_SEGMENT_CHARS}
    return {url: f"{base}/{MASK}"} | pieces


def known_secrets(pg_dsn: str | None = None, webhook_url: str | None = None,
                  smtp_password: str | None = None) -> Secrets:
    """(secret, replacement) pairs of the configured secrets, longest first so a value goes before its fragments."""
    found: dict[str, str] = {}
    if pg_dsn:
        found |= dict.fromkeys(_dsn_secrets(pg_dsn), MASK)
    if webhook_url:
        found |= {k: v for k, v in _webhook_secrets(webhook_url).items() if k not in found}
    if smtp_password:
        found[smtp_password] = MASK
    return tuple(sorted(((s, r) for s, r in found.items() if len(s.strip("/")) >= MIN_SECRET_CHARS),
                        key=lambda pair: len(pair[0]), reverse=True))


def redact(text: str, secrets: Secrets = (), extra: Iterable[str] = ()) -> str:
    """`text` with passwords, tokens and the known `secrets` (plus those of `extra` DSNs) masked."""
    if not text:
        return text
    pairs = [*secrets, *((s, MASK) for d in extra for s in _dsn_secrets(d) if len(s) >= MIN_SECRET_CHARS)]
    for secret, replacement in sorted(pairs, key=lambda pair: len(pair[0]), reverse=True):
        text = text.replace(secret, replacement)
    text = _URL_USERINFO.sub(lambda m: f"{m[1]}{MASK}@", text)
    return _KEYWORD.sub(lambda m: f"{m[1]}{m[2]}{MASK}", text)


def redact_data(value: Any, secrets: Secrets = ()) -> Any:
    """redact() applied to every string of a JSON-like structure (an alert payload)."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping):
        return {k: redact_data(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, secrets) for v in value]
    return value
