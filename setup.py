"""The optional compiled accelerators (signing, key shapes, model decoders); everything else is in pyproject.toml.

Without a C compiler (or, for signing, OpenSSL's headers) an extension is
skipped (``optional=True``) and ceilocompat runs its pure-Python path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ceilocompat._signing_accel",
            sources=["ceilocompat/_signing_accel.c"],
            libraries=["crypto"],
            optional=True,
        ),
        Extension("ceilocompat._key_shapes_accel", sources=["ceilocompat/_key_shapes_accel.c"], optional=True),
        Extension("ceilocompat._decoder_accel", sources=["ceilocompat/_decoder_accel.c"], optional=True),
    ]
)
