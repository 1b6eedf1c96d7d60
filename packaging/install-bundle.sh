#!/bin/sh
# Install the frozen Disclosure Workstation (this folder, built by `make bundle`). Needs no Python and no network.
#
#   ./install                  for this user: ~/.local/share/disclosure-workstation/app, `dws` in ~/.local/bin,
#                              a menu entry in ~/.local/share/applications
#   sudo ./install --system    for every user: /opt/disclosure-workstation, /usr/local/bin/dws, a menu entry in
#                              /usr/local/share/applications
#   ./install --prefix DIR [--bin-dir DIR] [--no-desktop]
#
# The installation holds no data (each user's store is in their own data folder); running the script again
# replaces it. To remove it: delete the prefix folder, the `dws` link and the menu entry it printed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
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
        --no-desktop) desktop=0 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
if [ ! -x "$here/dws" ] || [ ! -d "$here/_internal" ]; then die "$here is not the frozen application folder"; fi
"$here/dws" --version >/dev/null || die "$here/dws does not run on this computer (see BUILD-INFO.txt)"

if [ "$(cd "$prefix" 2>/dev/null && pwd)" != "$here" ]; then
    if [ -e "$prefix" ]; then
        [ -f "$prefix/.disclosure-workstation" ] || [ -z "$(ls -A "$prefix" 2>/dev/null)" ] \
            || die "$prefix exists and is not an installation of this program; choose another --prefix"
        echo "Replacing the installation in $prefix"
        rm -rf "$prefix"
    fi
    mkdir -p "$(dirname "$prefix")"
    cp -R "$here" "$prefix"
    : > "$prefix/.disclosure-workstation"
    if [ "$system" = 1 ]; then chmod -R go-w,a+rX "$prefix"; fi
fi
version=$("$prefix/dws" --version)

mkdir -p "$bindir"
ln -sf "$prefix/dws" "$bindir/dws"
echo "Installed $version in $prefix; the command line is $bindir/dws"
case ":$PATH:" in *":$bindir:"*) ;; *) echo "  ($bindir is not on PATH: add it, or run $prefix/dws)" ;; esac

if [ "$desktop" = 1 ]; then
    apps=$share/applications
    icons=$share/icons/hicolor/scalable/apps
    mkdir -p "$apps" "$icons"
    cp "$here/disclosure-workstation.svg" "$icons/disclosure-workstation.svg"
    sed -e "s|^Exec=.*|Exec=\"$prefix/dws\" gui|" -e "s|^TryExec=.*|TryExec=$prefix/dws|" \
        "$here/disclosure-workstation.desktop" > "$apps/disclosure-workstation.desktop"
    chmod 644 "$apps/disclosure-workstation.desktop" "$icons/disclosure-workstation.svg"
    if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q "$apps" || true; fi
    echo "Menu entry: $apps/disclosure-workstation.desktop (icon in $icons)"
fi
