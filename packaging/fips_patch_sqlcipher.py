"""Patch a SQLCipher 4 amalgamation (sqlite3.c) so that `PRAGMA cipher_fips_status` reports OpenSSL 3's FIPS state
(used by packaging/fips_check.sh only; the product's own wheels are not patched).

The community edition's OpenSSL provider returns a constant 0 for it. Patched, it returns 1 exactly when the
libcrypto SQLCipher runs on has its FIPS provider available and fetches every algorithm with fips=yes
(`EVP_default_properties_is_fips_enabled`), that is when SQLCipher's AES-256-CBC, HMAC-SHA-512, PBKDF2 and
RAND_bytes are performed by the FIPS provider. Idempotent; refuses a file it does not recognise.
"""

from __future__ import annotations

import sys
from pathlib import Path

ORIGINAL = "static int sqlcipher_openssl_fips_status(void *ctx) {\n  return 0;\n}\n"
PATCHED = (
    "#include <openssl/provider.h> /* dws fips-check patch */\n"
    "static int sqlcipher_openssl_fips_status(void *ctx) {\n"
    "  /* dws fips-check patch: OpenSSL 3's own FIPS state instead of a constant 0 */\n"
    "  return EVP_default_properties_is_fips_enabled(NULL) && OSSL_PROVIDER_available(NULL, \"fips\");\n"
    "}\n"
)


def main(path: str) -> int:
    source = Path(path)
    text = source.read_text(encoding="latin-1")
    if PATCHED in text:
        return 0
    if text.count(ORIGINAL) != 1:
        print(f"fips_patch_sqlcipher: {path} is not the SQLCipher amalgamation this patch knows", file=sys.stderr)
        return 1
    source.write_text(text.replace(ORIGINAL, PATCHED), encoding="latin-1")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
