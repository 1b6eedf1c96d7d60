"""`make fips-check` with FIPS_CRYPTOGRAPHY=platform only: packaging/fips_check.sh copies this into that venv with a
.pth file that imports it at interpreter start-up. Nothing of the product imports it.

The platform's `cryptography` there is Debian 12's 38.0.4. It refuses Ed25519 whenever OpenSSL fetches with
fips=yes: `backend.ed25519_supported()` returns False in FIPS mode, a policy of that release from before FIPS
186-5 (February 2023) approved EdDSA; later releases (the pinned 50.0.2 among them) leave the answer to OpenSSL.
With DWS_FIPS_ED25519=openssl (fips_check.sh sets it unless FIPS_PLATFORM_ED25519=cryptography), the question is
put to OpenSSL instead: Ed25519 is supported when an ED25519 key generation can be set up from the providers the
configuration allows. Under `make fips-check` that is only OpenSSL 3.0's FIPS provider, which implements it; the
keys, signatures and verifications are then its own. Nothing else of cryptography's FIPS policy is changed.
"""

import os

if os.environ.get("DWS_FIPS_ED25519") == "openssl":
    from cryptography.hazmat.backends.openssl import backend as _backend

    def _ed25519_from_openssl() -> bool:
        lib, ffi = _backend._lib, _backend._ffi
        ctx = lib.EVP_PKEY_CTX_new_id(lib.NID_ED25519, ffi.NULL)
        if ctx == ffi.NULL:
            lib.ERR_clear_error()
            return False
        try:
            return bool(lib.EVP_PKEY_keygen_init(ctx) == 1)
        finally:
            lib.EVP_PKEY_CTX_free(ctx)
            lib.ERR_clear_error()

    if getattr(_backend, "_fips_enabled", False):
        _backend.ed25519_supported = _ed25519_from_openssl  # type: ignore[method-assign]
