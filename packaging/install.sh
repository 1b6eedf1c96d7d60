#!/bin/sh
# Install the Disclosure Workstation from this folder (the wheelhouse built by `make wheelhouse`), with no
# network at all: a virtual environment, every wheel checked against its hash in requirements.lock.
#
#   ./install                  for this user: ~/.local/share/disclosure-workstation/app, `dws` in ~/.local/bin,
#                              a menu entry in ~/.local/share/applications
#   sudo ./install --system    for every user: /opt/disclosure-workstation, /usr/local/bin/dws, a menu entry in
#                              /usr/local/share/applications
#   ./install --prefix DIR [--bin-dir DIR] [--no-desktop] [--python PYTHON]
#
# The installation holds no data (each user's store is in their own data folder); running the script again
# replaces it. To remove it: delete the prefix folder, the `dws` link and the menu entry it printed.
set -eu

PY_VERSION="@PYTHON_VERSION@"        # filled in by make wheelhouse: the wheels are for this Python only
here=$(cd "$(dirname "$0")" && pwd)
python=""
prefix=""
bindir=""
desktop=1
system=0

die() { echo "install: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --system) system=1 ;;
        --prefix) [ $# -ge 2 ] || die "--prefix needs a folder"; prefix=$2; shift ;;
        --bin-dir) [ $# -ge 2 ] || die "--bin-dir needs a folder"; bindir=$2; shift ;;
        --python) [ $# -ge 2 ] || die "--python needs a program"; python=$2; shift ;;
        --no-desktop) desktop=0 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

if [ "$system" = 1 ]; then
    [ "$(id -u)" = 0 ] || die "--system installs for every user and needs root (sudo ./install --system)"
    : "${prefix:=/opt/disclosure-workstation}"
    : "${bindir:=/usr/local/bin}"
    share=/usr/local/share
else
    data_home=${XDG_DATA_HOME:-$HOME/.local/share}
    : "${prefix:=$data_home/disclosure-workstation/app}"
    : "${bindir:=$HOME/.local/bin}"
    share=$data_home
fi

# A Python of the version the wheels were built for.
if [ -z "$python" ]; then
    for candidate in "python$PY_VERSION" python3; do
        if command -v "$candidate" >/dev/null 2>&1; then python=$(command -v "$candidate"); break; fi
    done
fi
[ -n "$python" ] || die "Python $PY_VERSION is needed (python$PY_VERSION or python3 on PATH, or --python PROGRAM)"
found=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || die "cannot run $python"
[ "$found" = "$PY_VERSION" ] || die "these wheels are for Python $PY_VERSION, but $python is Python $found \
(give another with --python, or use the frozen application, which needs no Python)"

# Nothing in this folder was changed since it was built.
cd "$here"
sha256sum --check --quiet --strict SHA256SUMS || die "a file in $here does not match SHA256SUMS: copy the \
wheelhouse again"
set -- pip-*-py3-none-any.whl
if [ $# != 1 ] || [ ! -f "$1" ]; then die "expected one pip wheel in $here"; fi
pip_wheel=$here/$1
set -- disclosure_workstation-*.whl
if [ $# != 1 ] || [ ! -f "$1" ]; then die "expected one application wheel in $here"; fi
app_wheel=$here/$1

# pip sees this folder and nothing else: no index, no configuration file, no PIP_* variable of the caller.
for var in $(env | sed -n 's/^\(PIP_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$var"; done
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_NO_CACHE_DIR=1

if [ -e "$prefix" ]; then
    [ -f "$prefix/.disclosure-workstation" ] || [ -z "$(ls -A "$prefix" 2>/dev/null)" ] \
        || die "$prefix exists and is not an installation of this program; choose another --prefix"
    echo "Replacing the installation in $prefix"
    rm -rf "$prefix"
fi
mkdir -p "$(dirname "$prefix")"
# --without-pip: pip comes from this folder, so Debian's python3-venv (ensurepip) is not needed.
"$python" -m venv --without-pip "$prefix"
: > "$prefix/.disclosure-workstation"
"$prefix/bin/python" "$pip_wheel/pip" install --quiet --no-index --find-links "$here" --require-hashes \
    --only-binary=:all: -r "$here/requirements.lock"
"$prefix/bin/python" -m pip install --quiet --no-index --no-deps "$app_wheel"
version=$("$prefix/bin/dws" --version)

mkdir -p "$bindir"
ln -sf "$prefix/bin/dws" "$bindir/dws"
echo "Installed $version in $prefix; the command line is $bindir/dws"
case ":$PATH:" in *":$bindir:"*) ;; *) echo "  ($bindir is not on PATH: add it, or run $prefix/bin/dws)" ;; esac

if [ "$desktop" = 1 ]; then
    apps=$share/applications
    icons=$share/icons/hicolor/scalable/apps
    mkdir -p "$apps" "$icons"
    cp "$here/disclosure-workstation.svg" "$icons/disclosure-workstation.svg"
    sed -e "s|^Exec=.*|Exec=\"$prefix/bin/disclosure-workstation\"|" \
        -e "s|^TryExec=.*|TryExec=$prefix/bin/disclosure-workstation|" \
        "$here/disclosure-workstation.desktop" > "$apps/disclosure-workstation.desktop"
    chmod 644 "$apps/disclosure-workstation.desktop" "$icons/disclosure-workstation.svg"
    if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q "$apps" || true; fi
    echo "Menu entry: $apps/disclosure-workstation.desktop (icon in $icons)"
fi

backend=$(DWS_NO_KEYRING='' "$prefix/bin/python" -c \
    'from workstation.keys import device; print(device.backend_name() or "")' 2>/dev/null || true)
if [ -n "$backend" ]; then
    echo "OS keyring: $backend (each store is bound to this computer)"
else
    echo "OS keyring: none usable from this session; stores made here are protected by passphrases alone"
    echo "  (a desktop session with gnome-keyring or KWallet provides one: see the README)"
fi
