#!/usr/bin/env bash
# Renders the README's letter images from a fresh demo store: a partial grant (transmittal), the court-order
# block (declination) and the third-party FOIA request (FOIA response). Run from the repository root:
#   bash docs/letters/render.sh
set -euo pipefail
dws=".venv/bin/dws"
work=$(mktemp -d /tmp/dws-letters.XXXXXX)
trap 'rm -rf "$work"' EXIT
export DWS_STORE="$work/store" DWS_NO_KEYRING=1
DWS_PASSPHRASE=demo-admin-passphrase "$dws" demo >/dev/null
as() { DWS_USER=$1 DWS_PASSPHRASE=demo-$1-passphrase "${@:2}"; }
as rita "$dws" decide DEMO-I2-PARTIAL --outcome partial >/dev/null
as alex "$dws" approve DEMO-I2-PARTIAL >/dev/null
as rita "$dws" decide DEMO-I2-COURT-ORDER --outcome deny >/dev/null
as rita "$dws" decide DEMO-FOIA-THIRD-PARTY --outcome deny >/dev/null
out=docs/letters
for pair in DEMO-I2-PARTIAL:transmittal DEMO-I2-COURT-ORDER:declination DEMO-FOIA-THIRD-PARTY:foia-response; do
  rid=${pair%%:*} name=${pair##*:}
  as rita "$dws" letter "$rid" -o "$work/$name.pdf" >/dev/null
  pages=$(pdfinfo "$work/$name.pdf" | awk '/^Pages:/ {print $2}')
  pdftoppm -r 72 -png -f 1 -l 1 -singlefile "$work/$name.pdf" "$out/$name-page1"
  [ "$pages" -gt 1 ] && pdftoppm -r 72 -png -f "$pages" -l "$pages" -singlefile "$work/$name.pdf" "$out/$name-last"
done
ls -l "$out"/*.png
