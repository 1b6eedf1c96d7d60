"""`make fips-check` only: packaging/fips_check.sh copies this into build/fips/venv with a .pth file that imports it
at interpreter start-up. Nothing of the product imports it.

The pinned `cryptography` wheel carries its own OpenSSL core; SQLCipher there runs on the platform's. Both read
OPENSSL_CONF once, when first used, and both would load the same fips.so, which cannot serve two cores in one
process. So cryptography's core is started here, first, with DWS_FIPS_CONF_CRYPTOGRAPHY (the same settings, its
own copy of the provider); OPENSSL_CONF is then put back for the platform's libcrypto. Child processes (`dws` run
by the tests, evaluation workers) inherit both variables and do the same.
"""

import os

_conf = os.environ.get("DWS_FIPS_CONF_CRYPTOGRAPHY")
if _conf:
    _platform = os.environ.get("OPENSSL_CONF")
    os.environ["OPENSSL_CONF"] = _conf
    try:
        import cryptography.hazmat.bindings._rust  # noqa: F401  (its OpenSSL reads _conf now, once)
    finally:
        if _platform is None:
            del os.environ["OPENSSL_CONF"]
        else:
            os.environ["OPENSSL_CONF"] = _platform
