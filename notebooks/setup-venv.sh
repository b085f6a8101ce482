#!/usr/bin/env bash
# Makes notebooks/.venv (once) with the pinned packages of notebooks/requirements.txt, from whatever package index
# pip is configured with on this machine, and registers nothing globally: the kernel runs from the venv's python.
# Prints the venv's python path. Rerunning is cheap: an up-to-date venv (same requirements) is kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
stamp="$venv/.requirements"
if [[ -x "$venv/bin/python" && -f "$stamp" ]] && cmp -s "$stamp" "$here/requirements.txt"; then
  echo "$venv/bin/python"
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
# one retry: on machines whose default index is unreachable (a local index configured as extra), the default five retries
# with back-off cost minutes
"$venv/bin/python" -m pip install --quiet --retries "${PIP_RETRIES:-1}" -r "$here/requirements.txt" >&2
cp "$here/requirements.txt" "$stamp"
echo "$venv/bin/python"
