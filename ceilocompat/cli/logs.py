"""The command line's log output: one line per record, never a traceback.

oslo.messaging and kombu log what they retry (an unreachable broker host,
a duplicate skipped) with tracebacks attached. The command line shows
each record as one line on standard error, with the exception's type and
text in place of its traceback, and says how many times a line repeated
instead of repeating it.

>>> import logging
>>> record = logging.LogRecord("oslo.messaging", logging.ERROR, __file__, 1, "AMQP server\\non %s is down", ("h1",),
...                            (ValueError, ValueError("gone"), None))
>>> OneLineFormatter().format(record)
'error: oslo.messaging: AMQP server on h1 is down (ValueError: gone)'
"""

from __future__ import annotations

import logging
import sys
import time

__all__ = ["OneLineFormatter", "show_warnings_in_one_line"]

#: Longest line a log record becomes.
MAX_LINE = 400
#: Seconds during which the same line is shown once.
REPEAT_WINDOW = 30.0


class OneLineFormatter(logging.Formatter):
    """``level: logger: message (ExceptionType: text)`` on one bounded line."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string, or an argument whose str() raises anything, must not hide the record
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f" ({type(exc).__name__}: {exc})"
        line = f"{record.levelname.lower()}: {record.name}: {' '.join(text.split())}"
        return line if len(line) <= MAX_LINE else line[: MAX_LINE - 3] + "..."


class _Repeats(logging.Filter):
    """Let a line through once per :data:`REPEAT_WINDOW`; the next one says how often it was held back."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[str, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{record.msg}"
        now = time.monotonic()
        since, held = self._seen.get(key, (-REPEAT_WINDOW, 0))
        if now - since < REPEAT_WINDOW:
            self._seen[key] = (since, held + 1)
            return False
        self._seen[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} [and {held} more like it]"
        return True


def show_warnings_in_one_line() -> None:
    """Send WARNING and worse of every logger to stderr, one line each, unless logging is set up already."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter())
    handler.addFilter(_Repeats())
    handler.setLevel(logging.WARNING)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
