"""The optional compiled signing accelerator; everything else is in pyproject.toml.

Without a C compiler or OpenSSL's headers the extension is skipped
(``optional=True``) and ceilocompat signs on its pure-Python path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ceilocompat._signing_accel",
            sources=["ceilocompat/_signing_accel.c"],
            libraries=["crypto"],
            optional=True,
        )
    ]
)
