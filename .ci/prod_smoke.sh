#!/usr/bin/env bash
# Production smoke: a virtualenv made from requirements.txt ALONE (no dev requirement can hide a
# missing runtime package), then scripts/prod_smoke.py starts gunicorn, a Celery worker and beat
# from it with DEBUG=false against DATABASE_URL / CELERY_BROKER_URL (.ci/services.sh exports them)
# and walks one booking through. The venv is cached by the hash of requirements.txt and the Python
# version, so only a change of requirements pays the ~1 min build again.
set -euo pipefail
cd "$(dirname "$0")/.."

python=$(command -v python3.11 || command -v python3)
key=$( (cat requirements.txt; "$python" --version) | sha256sum | cut -c1-16)
cache="${PROD_VENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cinema-prod-venv}"
venv="$cache/$key"
if [ ! -x "$venv/bin/gunicorn" ] || [ ! -f "$venv/.complete" ]; then
  echo "prod smoke: building $venv from requirements.txt alone"
  rm -rf "$venv"
  mkdir -p "$cache"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
  touch "$venv/.complete"
  # Older keys are other requirements: keep the cache to this one.
  find "$cache" -mindepth 1 -maxdepth 1 ! -name "$key" -exec rm -rf {} +
else
  echo "prod smoke: cached venv $venv"
fi
"$venv/bin/python" -m pip check

# The walker itself needs aiosmtpd and psycopg: the dev venv's (make install), never the runtime's.
make -s install
.venv/bin/python scripts/prod_smoke.py --venv "$venv"
