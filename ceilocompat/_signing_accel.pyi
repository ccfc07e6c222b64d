"""Ceilometer's message signature, compiled (C, OpenSSL's SHA-256).

Each function returns None where the pure-Python reference
(``ceilocompat._signing``) must handle the call.
"""

def signature(message: object, secret: object, legacy: object, /) -> str | None: ...
def verify(message: object, secret: object, legacy: object, /) -> bool | None: ...
