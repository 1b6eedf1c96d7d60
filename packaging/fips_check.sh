#!/usr/bin/env bash
# make fips-check (README, "Security and compliance"): the crypto and store tests with OpenSSL's FIPS provider
# alone. Not part of `make test` or CI: the first run builds OpenSSL's FIPS provider and SQLCipher from source
# (about 8 minutes on 2 cores); a rerun reuses everything under build/fips/ and only runs the tests.
#
#   build/fips/openssl-src/    the platform's OpenSSL source, by `apt-get source` (the Debian version of the
#                              installed libssl3, signature-checked by apt), built with enable-fips: only fips.so
#   build/fips/ossl/           fips.so, fipsmodule.cnf (`openssl fipsinstall`: the module's self-tests and MAC),
#                              openssl.cnf (fips and base providers active, default not, default_properties
#                              fips=yes)
#   build/fips/venv-MODE/      requirements.lock (hashes required), but sqlcipher3 built from its sdist (SQLCipher
#                              4 amalgamation) linked to the platform's libcrypto, with the patch described below
#
# cryptography, by FIPS_CRYPTOGRAPHY (README):
#   wheel (the default)     the pinned wheel (its own OpenSSL core library) with its own copy of the FIPS provider
#                           (packaging/fips_two_cores.py).
#   platform                the platform's own build (Debian's python3-cryptography, with python3-cffi-backend),
#                           linked to the platform's libssl3/libcrypto: with SQLCipher, ONE OpenSSL core and one
#                           FIPS provider in the process. The venv is made from the interpreter that package is
#                           built for (/usr/bin/python3) and only those two packages' files are linked into it.
#                           Not the default: Debian 12's is 38.0.4, and the pinned pyHanko needs 48 or later, so
#                           the PAdES letter tests fail there (12 of them); the rest pass (README).
#   source                  built from its sdist against the platform's libssl-dev; needs Rust (cargo) and the
#                           Rust crate registry, which the development machine cannot reach.
#
# Exit 0 when every test passed. FIPS_TESTS="tests/test_x.py ..." runs other tests; FIPS_REBUILD=1 rebuilds.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${FIPS_DIR:-$ROOT/build/fips}
PYTHON=${PYTHON:-python3}
SQLCIPHER3_VERSION=0.6.4
# SHA-256 of OpenSSL release tarballs as Debian ships them (openssl_V.orig.tar.gz), for a libssl3 whose source
# package has left the archive's index (step 1).
declare -A OSSL_ORIG_SHA256=(
    [3.0.19]=fa5a4143b8aae18be53ef2f3caf29a2e0747430b8bc74d32d88335b94ab63072
)
FIPS_CRYPTOGRAPHY=${FIPS_CRYPTOGRAPHY:-wheel}
case "$FIPS_CRYPTOGRAPHY" in
    platform) PYTHON=${FIPS_PLATFORM_PYTHON:-/usr/bin/python3}
              for pkg in python3-cryptography python3-cffi-backend; do
                  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || {
                      echo "fips-check: FIPS_CRYPTOGRAPHY=platform needs the platform's $pkg" \
                           "(apt-get install python3-cryptography python3-cffi-backend), or FIPS_CRYPTOGRAPHY=wheel" >&2
                      exit 2; }
              done ;;
    wheel|source) ;;
    *) echo "fips-check: FIPS_CRYPTOGRAPHY is platform, wheel or source" >&2; exit 2 ;;
esac
DEFAULT_TESTS="tests/test_crypto_selftest.py tests/test_crypto_report.py tests/test_crypto_keyslots.py
  tests/test_fips_mode.py tests/test_store_keys.py tests/test_office_ca.py tests/test_auditlog_hash.py
  tests/test_merkle.py tests/test_log_proofs.py tests/test_backup.py tests/test_cli_store.py
  tests/test_verify_tamper.py tests/test_empty_passphrase.py tests/test_migrations.py tests/test_records_store.py
  tests/test_subjects_store.py tests/test_decisions.py tests/test_letters_pades.py tests/test_certificates_migration.py"
TESTS=${FIPS_TESTS:-$DEFAULT_TESTS}
start=$(date +%s)
say() { echo "fips-check: $*"; }
# "NAME==VERSION --hash=sha256:... ..." with every hash requirements.lock pins for NAME.
pinned() {
    awk -v name="$1" '$0 ~ "^" name "==" {on=1; printf "%s ", $1; next} on && /--hash/ {printf "%s ", $1; next}
                      on {exit}' "$ROOT/requirements.lock"
    echo
}
[ "${FIPS_REBUILD:-0}" = 1 ] && rm -rf "$OUT"
mkdir -p "$OUT"
export PATH="$HOME/.cargo/bin:$PATH"

# --- 1. OpenSSL's FIPS provider, from the platform's own OpenSSL source -------------------------------------
OSSL_DEB_VERSION=$(dpkg-query -W -f='${Version}' libssl3)
OSSL_VERSION=${OSSL_DEB_VERSION%%-*}
LIBCRYPTO=$(ldconfig -p | awk '/libcrypto\.so\.3 .*x86-64|libcrypto\.so\.3 \(libc6,AArch64\)/ {print $NF; exit}')
if [ ! -f "$OUT/ossl/fips.so.$OSSL_DEB_VERSION" ]; then
    say "building OpenSSL $OSSL_VERSION's FIPS provider (Debian source $OSSL_DEB_VERSION)"
    command -v dpkg-source >/dev/null || { echo "fips-check needs dpkg-dev (apt-get install dpkg-dev)" >&2; exit 2; }
    apt="$OUT/apt"
    mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
    # The machine's own Debian sources, as deb-src, in a private apt state: nothing of the system's changes.
    for f in /etc/apt/sources.list.d/*.sources; do
        grep -q '^Types:.*deb' "$f" && sed 's/^Types:.*/Types: deb-src/' "$f" > "$apt/sources.list.d/$(basename "$f")"
    done
    APT=(apt-get -q -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt/sources.list.d"
         -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=root")
    "${APT[@]}" update >"$OUT/apt-update.log" 2>&1 || { tail -n 5 "$OUT/apt-update.log" >&2; exit 2; }
    rm -rf "$OUT/openssl-src" && mkdir -p "$OUT/openssl-src"
    if (cd "$OUT/openssl-src" && "${APT[@]}" source --download-only "openssl=$OSSL_DEB_VERSION") >"$OUT/apt-source.log" 2>&1; then
        (cd "$OUT/openssl-src" && dpkg-source -x --skip-debianization ./*.dsc src) >>"$OUT/apt-source.log" 2>&1
        OSSL_SOURCE="Debian source package openssl $OSSL_DEB_VERSION (apt-get source)"
    elif [ -n "${OSSL_ORIG_SHA256[$OSSL_VERSION]:-}" ]; then
        # The installed version has left the archive's index (a newer security update replaced it), but its
        # upstream tarball is still in the pool: fetched from the machine's own Debian mirror, checked against
        # the SHA-256 pinned above (the one the Debian .dsc of $OSSL_DEB_VERSION lists).
        orig="openssl_$OSSL_VERSION.orig.tar.gz"
        for uri in $(awk '/^URIs:/ {print $2}' /etc/apt/sources.list.d/*.sources); do
            for pool in pool/main pool/updates/main; do
                curl -fsS -o "$OUT/openssl-src/$orig" "$uri/$pool/o/openssl/$orig" 2>>"$OUT/apt-source.log" && break 2
            done
        done
        echo "${OSSL_ORIG_SHA256[$OSSL_VERSION]}  $OUT/openssl-src/$orig" | sha256sum -c --quiet \
            || { echo "fips-check: no verified source of OpenSSL $OSSL_VERSION" >&2; exit 2; }
        mkdir -p "$OUT/openssl-src/src" && tar -xzf "$OUT/openssl-src/$orig" -C "$OUT/openssl-src/src" --strip-components 1
        OSSL_SOURCE="upstream OpenSSL $OSSL_VERSION from the Debian pool (orig tarball, SHA-256 pinned)"
    else
        echo "fips-check: the source of OpenSSL $OSSL_DEB_VERSION (the installed libssl3) is not in the archive's" \
             "index, and no SHA-256 of its tarball is pinned in packaging/fips_check.sh: install the archive's" \
             "current libssl3 (apt-get install libssl3 libssl-dev openssl), then run make fips-check again" >&2
        exit 2
    fi
    echo "$OSSL_SOURCE" > "$OUT/openssl-src/SOURCE"
    (cd "$OUT/openssl-src/src" && ./Configure enable-fips no-shared "linux-$(uname -m)" \
        && make -j"$(nproc)" build_generated && make -j"$(nproc)" providers/fips.so) >"$OUT/openssl-build.log" 2>&1 \
        || { tail -n 20 "$OUT/openssl-build.log" >&2; exit 2; }
    mkdir -p "$OUT/ossl"
    cp "$OUT/openssl-src/src/providers/fips.so" "$OUT/ossl/fips.so"
    # The module's self-tests and its integrity MAC, by the platform's own `openssl` (the same 3.0 release).
    openssl fipsinstall -module "$OUT/ossl/fips.so" -out "$OUT/ossl/fipsmodule.cnf" >"$OUT/fipsinstall.log" 2>&1 \
        || { tail -n 5 "$OUT/fipsinstall.log" >&2; exit 2; }
    touch "$OUT/ossl/fips.so.$OSSL_DEB_VERSION"
fi
cat > "$OUT/ossl/openssl.cnf" <<EOF
# Written by packaging/fips_check.sh: OpenSSL's FIPS provider and the base provider (encoders, decoders), the
# default provider NOT activated, and every algorithm fetched with fips=yes.
config_diagnostics = 1
openssl_conf = openssl_init

.include $OUT/ossl/fipsmodule.cnf

[openssl_init]
providers = provider_sect
alg_section = algorithm_sect

[provider_sect]
fips = fips_sect
base = base_sect

[base_sect]
activate = 1

[algorithm_sect]
default_properties = fips=yes
EOF
# The cryptography wheel carries its own OpenSSL core. Two OpenSSL cores in one process cannot share one fips.so
# image (the provider keeps its core's callbacks in globals: the second core to load it breaks the first's, and
# `import sqlcipher3` fails with "SQL logic error"), so that core gets its own copy, through its own configuration
# file, read once when cryptography is imported (the venv's _dws_fips_two_cores.pth, below).
cp "$OUT/ossl/fips.so" "$OUT/ossl/fips-cryptography.so"
sed "s#^\[fips_sect\]#[fips_sect]\nmodule = $OUT/ossl/fips-cryptography.so#" "$OUT/ossl/fipsmodule.cnf" \
    > "$OUT/ossl/fipsmodule-cryptography.cnf"
sed "s#^\.include .*#.include $OUT/ossl/fipsmodule-cryptography.cnf#" "$OUT/ossl/openssl.cnf" \
    > "$OUT/ossl/openssl-cryptography.cnf"
export OPENSSL_CONF="$OUT/ossl/openssl.cnf" OPENSSL_MODULES="$OUT/ossl"
openssl list -providers | grep -q "OpenSSL FIPS Provider" || { echo "fips-check: the FIPS provider does not load" >&2; exit 2; }
unset OPENSSL_CONF OPENSSL_MODULES
# The platform's cryptography (38 in Debian 12) loads the legacy and default providers itself at import, from
# OpenSSL's own module folder, and fails without them: so in that mode the FIPS provider is named by its path and
# OPENSSL_MODULES is left alone. Under fips=yes nothing is fetched from either (the report: "loaded, unused").
sed "s#^\[fips_sect\]#[fips_sect]\nmodule = $OUT/ossl/fips.so#" "$OUT/ossl/fipsmodule.cnf" > "$OUT/ossl/fipsmodule-platform.cnf"
sed "s#^\.include .*#.include $OUT/ossl/fipsmodule-platform.cnf#" "$OUT/ossl/openssl.cnf" > "$OUT/ossl/openssl-platform.cnf"

# --- 2. The venv: the locked wheels, SQLCipher from source on the platform's libcrypto -----------------------
VENV="$OUT/venv-$FIPS_CRYPTOGRAPHY"
STAMP="$VENV/.fips-$SQLCIPHER3_VERSION-$FIPS_CRYPTOGRAPHY-$(sha256sum "$ROOT/requirements.lock" | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
    say "building the venv (SQLCipher from source, cryptography: $FIPS_CRYPTOGRAPHY)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
    # The locks (the build tools', then the product's) without sqlcipher3 (built below), without cryptography when
    # it is built from source, and without cryptography and cffi when both are the platform's (its cryptography's
    # _openssl module is built for its cffi).
    skip="sqlcipher3"
    [ "$FIPS_CRYPTOGRAPHY" = source ] && skip="sqlcipher3|cryptography"
    [ "$FIPS_CRYPTOGRAPHY" = platform ] && skip="sqlcipher3|cryptography|cffi"
    for lock in packaging/build.lock requirements.lock; do
        awk -v skip="^($skip)==" '/^[A-Za-z0-9]/ {drop = ($0 ~ skip)} !drop' "$ROOT/$lock" > "$OUT/$(basename "$lock" .lock)-fips.lock"
        "${pip[@]}" --require-hashes --no-deps -r "$OUT/$(basename "$lock" .lock)-fips.lock"
    done
    # sqlcipher3's sdist carries the SQLCipher 4 amalgamation; with no `conan` in the venv its setup.py links
    # -lcrypto: the platform's libcrypto (libssl-dev). Its hash is the one requirements.lock pins.
    mkdir -p "$OUT/sdist"
    pinned "sqlcipher3" > "$OUT/sdist/req.txt"
    "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
        --no-build-isolation --require-hashes -d "$OUT/sdist" -r "$OUT/sdist/req.txt"
    rm -rf "$OUT/sdist/sqlcipher3-$SQLCIPHER3_VERSION"
    tar -xzf "$OUT/sdist/sqlcipher3-$SQLCIPHER3_VERSION.tar.gz" -C "$OUT/sdist"
    # The community edition's `PRAGMA cipher_fips_status` is always 0 with OpenSSL 3 (its OpenSSL provider
    # returns a constant). Patched to report what OpenSSL itself says: the FIPS provider available and every
    # fetch limited to fips=yes, which is when SQLCipher's AES, HMAC, PBKDF2 and RAND_bytes run in that module.
    "$VENV/bin/python" "$ROOT/packaging/fips_patch_sqlcipher.py" "$OUT/sdist/sqlcipher3-$SQLCIPHER3_VERSION/vendor/sqlite3.c"
    "${pip[@]}" --no-deps --no-build-isolation "$OUT/sdist/sqlcipher3-$SQLCIPHER3_VERSION"
    if [ "$FIPS_CRYPTOGRAPHY" = source ]; then
        # Its sdist (hash from the lock), its Rust part linked to the platform's libssl-dev (pkg-config).
        pinned "cryptography" > "$OUT/sdist/req-cryptography.txt"
        OPENSSL_NO_VENDOR=1 "${pip[@]}" --no-deps --no-binary cryptography --require-hashes \
            -r "$OUT/sdist/req-cryptography.txt" >"$OUT/cryptography-build.log" 2>&1 \
            || { tail -n 5 "$OUT/cryptography-build.log" >&2
                 echo "fips-check: cryptography could not be built from source (it needs cargo and the Rust crate registry)" >&2
                 exit 2; }
    fi
    if [ "$FIPS_CRYPTOGRAPHY" = platform ]; then
        # Only these files of the platform's site-packages, linked (not --system-site-packages, which would also
        # bring every other Debian Python package, e.g. python3-openssl, into a venv meant to hold the lock).
        site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
        for f in $(dpkg -L python3-cryptography python3-cffi-backend \
                   | grep -E '^/usr/lib/python3/dist-packages/[^/]+$' | grep -vE '\.egg-info$'); do
            ln -sfn "$f" "$site/$(basename "$f")"
        done
        # cryptography 38 refuses Ed25519 in FIPS mode by its own policy; this asks OpenSSL (see the file).
        cp "$ROOT/packaging/fips_platform_ed25519.py" "$site/_dws_fips_platform_ed25519.py"
        echo "import _dws_fips_platform_ed25519" > "$site/_dws_fips_platform_ed25519.pth"
    fi
    if [ "$FIPS_CRYPTOGRAPHY" = wheel ]; then
        site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        cp "$ROOT/packaging/fips_two_cores.py" "$site/_dws_fips_two_cores.py"
        echo "import _dws_fips_two_cores" > "$site/_dws_fips_two_cores.pth"
    fi
    "${pip[@]}" --no-deps --no-build-isolation -e "$ROOT"
    # The test tools, at the versions of the development venv where it has them (else the newest).
    "${pip[@]}" pytest pytest-qt hypothesis pypdf pikepdf
    touch "$STAMP"
fi
# "the platform's libcrypto" or exit: the extension modules that must link it.
links_platform() {
    local linked
    linked=$(ldd "$1" | awk '/libcrypto/ {print $3}')
    [ -n "$linked" ] && [ "$(readlink -f "$linked")" = "$(readlink -f "$LIBCRYPTO")" ] \
        || { echo "fips-check: $2 does not link the platform's libcrypto ($LIBCRYPTO)" >&2; exit 2; }
}
links_platform "$(echo "$VENV"/lib/python3*/site-packages/sqlcipher3/_sqlite3*.so)" sqlcipher3
if [ "$FIPS_CRYPTOGRAPHY" = platform ]; then
    links_platform "$(echo "$VENV"/lib/python3*/site-packages/cryptography/hazmat/bindings/_openssl*.so)" cryptography
    # and no other cryptography (nor cffi) came in with the tools: the venv imports the platform's files.
    "$VENV/bin/python" -c 'import os, cryptography, _cffi_backend as c
assert all(os.path.realpath(m.__file__).startswith("/usr/lib/python3/dist-packages/") for m in (cryptography, c))' \
        || { echo "fips-check: the venv does not import the platform's cryptography" >&2; exit 2; }
fi

# --- 3. The tests, with the FIPS provider alone ------------------------------------------------------------
export OPENSSL_CONF="$OUT/ossl/openssl.cnf" OPENSSL_MODULES="$OUT/ossl" CRYPTOGRAPHY_OPENSSL_NO_LEGACY=1
if [ "$FIPS_CRYPTOGRAPHY" = platform ]; then
    export OPENSSL_CONF="$OUT/ossl/openssl-platform.cnf"
    unset OPENSSL_MODULES
    # Ed25519 (checkpoint keys): OpenSSL's FIPS provider decides, not cryptography 38's policy (fips_platform_ed25519.py).
    [ "${FIPS_PLATFORM_ED25519:-openssl}" = openssl ] && export DWS_FIPS_ED25519=openssl
fi
[ "$FIPS_CRYPTOGRAPHY" = wheel ] && export DWS_FIPS_CONF_CRYPTOGRAPHY="$OUT/ossl/openssl-cryptography.cnf"
export DWS_TEST_FIPS=1 QT_QPA_PLATFORM=offscreen
say "the modules under test:"
(cd "$ROOT" && "$VENV/bin/python" -m workstation.cli.main crypto report | sed -n '/^Self-tests:/p; /^Modules:/,/^$/p') || true
say "running $(echo $TESTS | wc -w) test files with OPENSSL_CONF=$OPENSSL_CONF"
set +e
(cd "$ROOT" && "$VENV/bin/python" -m pytest -q -p no:cacheprovider -rfEs $TESTS) | tee "$OUT/pytest.log"
status=${PIPESTATUS[0]}
set -e
say "finished in $(( $(date +%s) - start )) s (log: $OUT/pytest.log)"
exit "$status"
