"""Shared fixtures: the real-payload corpus, and the services tests rely on.

CI sets ``CEILOCOMPAT_REQUIRE_INTEROP=1`` and ``CEILOCOMPAT_REQUIRE_RABBITMQ=1``
so that a missing ceilometer package or RabbitMQ server fails the run
instead of skipping tests silently.
"""

from __future__ import annotations

import json
import os
import pathlib

import pytest

from ceilocompat.testing.fixtures import rabbitmq, rabbitmq_cluster  # noqa: F401  (session-scoped fixtures)
from inventories import write_pipelines

REPO = pathlib.Path(__file__).resolve().parent.parent
CORPUS = pathlib.Path(os.environ.get("CEILOCOMPAT_CORPUS", REPO.parent / "shared" / "corpus"))


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python that imports this checkout, plus *extra*."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def corpus_path(name: str) -> pathlib.Path:
    path = CORPUS / name
    if not path.exists():
        pytest.fail(f"corpus file {path} not found: ../shared/corpus must sit beside the checkout")
    return path


def corpus_json(name: str):
    """A corpus file as parsed JSON (files are never edited)."""
    return json.loads(corpus_path(name).read_text())


@pytest.fixture(scope="session")
def ceilometer_utils():
    """ceilometer.publisher.utils from the real ceilometer package."""
    try:
        from ceilometer.publisher import utils
    except ImportError as exc:  # pragma: no cover - depends on the environment
        reason = f"the interop extra (ceilometer==27.*) is not installed: {exc}"
        if os.environ.get("CEILOCOMPAT_REQUIRE_INTEROP") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return utils


@pytest.fixture
def folder(tmp_path):
    """A directory holding the pipeline files the test inventories name (tests/inventories.py)."""
    return write_pipelines(tmp_path)
