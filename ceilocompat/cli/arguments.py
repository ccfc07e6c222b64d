"""Argument types of the command line: each refuses a bad value with a message for the user.

argparse prints the message after the option's name (``argument --samples:
must be a whole number of at least 1, not 'abc'``); none of them names a
Python function or type.

>>> positive_int("abc")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: must be a whole number of at least 1, not 'abc'
>>> seconds("1.5"), release("2024.1").major
(1.5, 22)
"""

from __future__ import annotations

import argparse
import math

from ceilocompat.releases import Release, known_release

__all__ = ["positive_int", "positive_seconds", "release", "seconds"]


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def _seconds(text: str, *, zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        wanted = "0 or more" if zero else "more than 0"
        raise argparse.ArgumentTypeError(f"must be a number of seconds, {wanted}, not {text!r}")
    return value


def seconds(text: str) -> float:
    """A finite number of seconds, 0 or more.

    >>> seconds("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a number of seconds, 0 or more, not 'nan'
    """
    return _seconds(text, zero=True)


def positive_seconds(text: str) -> float:
    """A finite number of seconds, more than 0."""
    return _seconds(text, zero=False)


def release(text: str) -> Release:
    """A Ceilometer release no newer than the newest ceilocompat knows.

    >>> release("99.1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '99.1' is newer than any Ceilometer release ceilocompat knows (the newest is 27.0.0)
    """
    try:
        return known_release(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
