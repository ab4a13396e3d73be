#!/usr/bin/env bash
# Installs what leadloop needs on a Debian machine, skipping whatever is already there:
# PostgreSQL, Java 17, Maven, kcat and chromium (the console's browser tests) from Debian's
# packages; uv from PyPI; the Python
# workspace from uv.lock; Kafka's jars from Maven Central. Safe to run again.
. "$(dirname "$0")/lib.sh"

missing=()
command -v pg_ctlcluster >/dev/null || missing+=(postgresql postgresql-contrib)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v kcat >/dev/null || missing+=(kcat)
command -v curl >/dev/null || missing+=(curl)
# the console's browser tests drive Debian's chromium through Playwright (no browser downloads)
command -v chromium >/dev/null || missing+=(chromium)
if (( ${#missing[@]} )); then
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  say "installing from Debian's packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v uv >/dev/null && ! python3 -m uv --version >/dev/null 2>&1; then
  say "installing uv from PyPI"
  python3 -m pip install -q 'uv>=0.5'
fi
# `python3 -m uv` works even where pip's new script is not on PATH yet (pyenv shims, ~/.local/bin)
if command -v uv >/dev/null; then UV=(uv); else UV=(python3 -m uv); fi

say "syncing the Python workspace (uv.lock)"
(cd "$ROOT" && "${UV[@]}" sync --frozen --quiet)

"$ROOT/deploy/kafka.sh" fetch
