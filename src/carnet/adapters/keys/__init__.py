"""Key stores: implementations of :class:`carnet.services.ports.KeyStore`.

* :mod:`carnet.adapters.keys.files` — ``FileKeyStore``, encrypted PKCS#8 files (the
  default backend).
* :mod:`carnet.adapters.keys.pkcs11` — ``Pkcs11KeyStore``, keys inside a PKCS#11
  token (an HSM; SoftHSM2 in tests).

Import the module you need: importing this package loads neither, so the file
backend never loads the PKCS#11 library.
"""

__all__: list[str] = []
