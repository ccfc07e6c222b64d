"""The payloads real releases' own code made (``../shared/corpus-releases/release_payloads.json``)."""

from __future__ import annotations

import json
import os
import pathlib

from conftest import REPO

RELEASE_CORPUS = pathlib.Path(
    os.environ.get("CEILOCOMPAT_RELEASE_CORPUS", REPO.parent / "shared" / "corpus-releases")
) / "release_payloads.json"


def _corpus() -> dict | None:
    try:
        return json.loads(RELEASE_CORPUS.read_text())
    except OSError:
        return None


#: The whole file, or None when it is missing (tests that need it fail saying so).
CORPUS = _corpus()
RELEASES = [] if CORPUS is None else CORPUS["releases"]
