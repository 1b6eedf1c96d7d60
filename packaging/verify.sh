#!/bin/sh
# Check a release folder (the wheelhouse or the frozen application) before installing it, with no network:
#
#   packaging/verify.sh FOLDER KEY.pem     KEY.pem: the office's release public key, from a copy you trust
#   packaging/verify.sh FOLDER             the key the folder carries (release-key.pub.pem): proves only that
#                                          the folder is whole as signed, not who signed it
#
# 1. the signature SHA256SUMS.sig over SHA256SUMS (ECDSA P-256, SHA-256; openssl dgst -verify);
# 2. every file's sha256 against SHA256SUMS (sha256sum --check --strict);
# 3. no file in the folder that SHA256SUMS does not list.
# Exit 0 and "OK" only when all three hold; otherwise one line saying which failed, exit 1.
set -eu

die() { echo "verify: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: verify.sh FOLDER [KEY.pem]"
[ -d "$1" ] || die "$1 is not a folder"
folder=$(cd "$1" && pwd)
if [ $# = 2 ]; then
    key=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
    trust="the key $2"
else
    key=$folder/release-key.pub.pem
    trust="the key the folder carries (give the office's public key as KEY.pem to know who signed)"
fi
command -v openssl >/dev/null 2>&1 || die "openssl is needed (Debian: apt-get install openssl)"
for f in SHA256SUMS SHA256SUMS.sig; do [ -f "$folder/$f" ] || die "$folder has no $f"; done
[ -f "$key" ] || die "no public key $key"

openssl pkey -pubin -in "$key" -noout 2>/dev/null || die "$key is not a PEM public key (give the release PUBLIC key)"
fingerprint=$(openssl pkey -pubin -in "$key" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
openssl dgst -sha256 -verify "$key" -signature "$folder/SHA256SUMS.sig" "$folder/SHA256SUMS" >/dev/null 2>&1 \
    || die "the signature of $folder/SHA256SUMS does not verify with $trust (sha256:$fingerprint)"

cd "$folder"
sha256sum --check --strict --quiet SHA256SUMS >/dev/null 2>&1 \
    || die "a file in $folder does not match SHA256SUMS (run: cd $folder && sha256sum --check SHA256SUMS)"
listed=$(mktemp)
present=$(mktemp)
trap 'rm -f "$listed" "$present"' EXIT
sed 's/^[0-9a-f]\{64\}  //' SHA256SUMS | LC_ALL=C sort > "$listed"
find . \( -type f -o \( -type l -xtype f \) \) ! -path ./SHA256SUMS ! -path ./SHA256SUMS.sig ! -path ./release-key.pub.pem \
    | sed 's|^\./||' | LC_ALL=C sort > "$present"
extra=$(LC_ALL=C comm -13 "$listed" "$present" | head -n 3 | tr '\n' ' ')
[ -z "$extra" ] || die "files in $folder that SHA256SUMS does not list: $extra"

echo "OK: $folder: $(wc -l < SHA256SUMS | tr -d ' ') files match SHA256SUMS, signed by $trust (sha256:$fingerprint)"
