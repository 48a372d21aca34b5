#!/usr/bin/env bash
# System packages the tests need (run as root, no stdin; idempotent).
#   chromium        headless browser for tests/test_report.py (driven by Python playwright, no browser download)
#   fonts-noto-cjk  so Chinese labels render in the report screenshot
#   postgresql-15   server binaries for tests/test_postgres.py (a throwaway cluster per test session)
# apt-get update runs only when something is missing, so a prepared machine does no network work.
set -euo pipefail

PACKAGES=(chromium fonts-noto-cjk postgresql-15)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "setup-system: all present (${PACKAGES[*]})"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup-system: missing ${missing[*]}; run this script as root" >&2
    exit 1
fi

echo "setup-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
