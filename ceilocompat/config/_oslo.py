"""oslo.config files read and checked the way an OpenStack service reads its own."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from oslo_config import cfg

from ceilocompat._messaging import messaging_opts

__all__ = ["ConfigError", "configured_transport_url", "messaging_config", "queue_kind", "register_messaging_opts"]

RABBIT_GROUP = "oslo_messaging_rabbit"


class ConfigError(ValueError):
    """A configuration file that cannot be used: missing, unreadable, malformed, or a bad value."""


def register_messaging_opts(conf: cfg.ConfigOpts) -> cfg.ConfigOpts:
    """Register every oslo.messaging option group on *conf* (idempotent); return *conf*.

    >>> conf = register_messaging_opts(cfg.ConfigOpts())
    >>> conf.oslo_messaging_rabbit.heartbeat_timeout_threshold
    60
    """
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)
    return conf


def messaging_config(
    config_files: Iterable[str | os.PathLike[str]] = (),
    *,
    quorum_queues: bool | None = None,
    conf: cfg.ConfigOpts | None = None,
) -> cfg.ConfigOpts:
    """A ``ConfigOpts`` with oslo.messaging's options read from *config_files*, every value checked.

    Later files override earlier ones, as with repeated ``--config-file``.
    *quorum_queues* True or False overrides ``[oslo_messaging_rabbit]
    rabbit_quorum_queue``; None leaves it to the files. Pass your own *conf*
    to read into it (its other options are left alone). Raises
    :class:`ConfigError` in one line naming the file or the option.
    """
    files = [_checked_file(f) for f in config_files]
    conf = register_messaging_opts(conf if conf is not None else cfg.ConfigOpts())
    try:
        conf(args=[], default_config_files=files, validate_default_values=True, use_env=False)
    except cfg.ConfigFileParseError as exc:
        reason = _one_line(exc.msg or str(exc))
        raise ConfigError(f"config file {exc.config_file}: cannot be parsed: {reason}") from None
    except cfg.Error as exc:
        raise ConfigError(f"config files {', '.join(files)}: {_one_line(str(exc))}") from None
    if quorum_queues is not None:
        conf.set_override("rabbit_quorum_queue", quorum_queues, group=RABBIT_GROUP)
    _check_values(conf)
    return conf


def configured_transport_url(conf: cfg.ConfigOpts) -> str | None:
    """The notification transport URL *conf* sets, as oslo.messaging picks it, or None if none is set.

    ``[oslo_messaging_notifications] transport_url``, else ``[DEFAULT]
    transport_url`` when it was set (its built-in default, ``rabbit://``,
    does not count).

    >>> configured_transport_url(messaging_config()) is None
    True
    """
    register_messaging_opts(conf)
    url: str | None = conf.oslo_messaging_notifications.transport_url
    if url:
        return url
    location = conf.get_location("transport_url")
    if location is None or location.location is cfg.Locations.opt_default:
        return None
    url = conf.transport_url
    return url


def queue_kind(conf: cfg.ConfigOpts) -> str:
    """The kind of RabbitMQ queue a transport built from *conf* declares: quorum, classic durable or transient.

    >>> queue_kind(messaging_config())
    'classic transient'
    """
    register_messaging_opts(conf)
    rabbit = conf[RABBIT_GROUP]
    if rabbit.rabbit_quorum_queue:
        return "quorum"
    return "classic durable" if rabbit.amqp_durable_queues else "classic transient"


def _checked_file(path: str | os.PathLike[str]) -> str:
    name = os.fspath(path)
    if not isinstance(name, str):
        raise ConfigError(f"config file {name!r}: not a file name")
    file = Path(name)
    if not file.exists():
        raise ConfigError(f"config file {name}: no such file")
    if not file.is_file():
        raise ConfigError(f"config file {name}: not a file")
    if not os.access(file, os.R_OK):
        raise ConfigError(f"config file {name}: not readable")
    return name


def _check_values(conf: cfg.ConfigOpts) -> None:
    """Read every oslo.messaging option once, so a bad value fails here rather than mid-run."""
    for group, opts in messaging_opts.list_opts():
        section = conf if group is None else conf[group]
        for opt in opts:
            try:
                getattr(section, opt.dest)
            except (cfg.ConfigFileValueError, ValueError) as exc:
                where = f"[{group or 'DEFAULT'}] {opt.dest}"
                raise ConfigError(f"{_origin(str(exc))}{where}: {_value_reason(exc)}") from None


def _origin(text: str) -> str:
    """``config file F: `` when oslo.config's message names the file the value came from."""
    found = re.search(r"detail='([^']+)'", text)
    return f"config file {found.group(1)}: " if found else ""


def _value_reason(exc: Exception) -> str:
    text = _one_line(str(exc))
    # oslo.config names the location as a repr of its LocationInfo; keep the reason only
    return text.split(" is not valid: ", 1)[-1]


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
