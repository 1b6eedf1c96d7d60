"""Key hierarchy: data key, passphrase keyslots, recovery keyslot, device secret, signing keys."""
