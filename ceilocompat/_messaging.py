"""oslo.messaging, imported without printing anything.

oslo.messaging imports eventlet (through oslo.service), which announces its
own deprecation with a warning on import. A library must not print on
import, so every ceilocompat module takes oslo.messaging from here, where
that one notice is silenced while it loads; every other warning still shows.

>>> from ceilocompat._messaging import oslo_messaging
>>> oslo_messaging.Target(topic="metering").topic
'metering'
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import oslo_messaging
    from oslo_messaging import opts as messaging_opts

__all__ = ["messaging_opts", "oslo_messaging"]
