# Sourced by scripts/run and scripts/test: everything a fresh machine needs, done once and
# skipped when already done. Debian packages are installed only when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"

pick_python() {
  for py in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$py" ] || continue
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  echo "setup: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

# ensure_venv EXTRAS: a virtualenv in .venv with the project installed editable. Reinstalls
# only when pyproject.toml changed since the last install.
ensure_venv() {
  local extras=${1:-}
  local stamp="$VENV/.installed${extras:+-$extras}"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV"
    "$(pick_python)" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
  fi
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    echo "setup: installing the project${extras:+ with [$extras]} into .venv"
    "$VENV/bin/python" -m pip install -q -e "$ROOT${extras:+[$extras]}"
    touch "$stamp"
  fi
}

# ensure_npm DIR WHY: DIR/node_modules exactly as DIR/package-lock.json pins them (npm ci).
# Reinstalls only when the lock file changed since the last install; nothing is downloaded
# but the npm packages themselves.
ensure_npm() {
  local dir="$ROOT/$1" why=$2
  local stamp="$dir/node_modules/.installed"
  if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "setup: installing Debian packages: nodejs npm ($why)"
      apt_install nodejs npm || {
        echo "setup: npm is needed for $1/; install Node.js and npm (Debian: apt-get install nodejs npm)" >&2
        return 1
      }
    fi
    echo "setup: installing $1/ npm packages (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
}

# contracts/: solcjs (wasm) and OpenZeppelin, for compiling the contracts.
ensure_contracts_npm() { ensure_npm contracts "contracts/ compiles with solcjs"; }

# tests/axe/: axe-core, injected into every built page by the accessibility tests.
ensure_axe_npm() { ensure_npm tests/axe "the accessibility tests run axe-core"; }

# node_modules/mermaid at the repository root: sitegen draws ```mermaid diagrams with its browser
# bundle (dist/mermaid.min.js) in Chromium, finding it beside site.toml as Node finds packages.
ensure_mermaid_npm() { ensure_npm . "sitegen draws mermaid diagrams with it"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "setup: need root to run: $*" >&2; return 1
  fi
}

APT_UPDATED=
apt_install() {
  command -v apt-get >/dev/null 2>&1 || { echo "setup: no apt-get; install $* by hand" >&2; return 1; }
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# Debian's chromium (never a browser download) and a Korean font for the browser tests.
ensure_browser() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
  # Korean text in screenshots needs a CJK font (fc-list arrives with chromium's fontconfig).
  if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=ko 2>/dev/null)" ]; then
    missing+=(fonts-noto-cjk)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt_install "${missing[@]}" || echo "setup: could not install ${missing[*]}: browser tests will fail under CI" >&2
  fi
}

# The PostgreSQL tests use the server on 127.0.0.1:5432; start the local cluster if it is
# installed but stopped.
ensure_postgres() {
  if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
      echo "setup: starting the local PostgreSQL cluster"
      as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    fi
  fi
}
