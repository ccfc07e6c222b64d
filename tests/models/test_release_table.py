"""The release table (ModelVersion ``release``/``also_in``) held to what the releases' own code sends.

``model_version(model, release)`` says which model version a Ceilometer
release sends, and ``model_keys`` which keys that version has. Here every
release's own ``meter_message_from_counter`` / ``message_from_event`` says
which keys it really sends:

- from ``../shared/corpus-releases/release_payloads.json`` (20 tags, Kilo to
  2026.1, payloads made by each release's own code; always run);
- from the release environments (``ceilocompat.grenade.environments``): a
  subprocess in each environment builds a ``ceilometer.sample.Sample`` and
  encodes it with that release's ``meter_message_from_counter``. By default
  the releases CI builds (:data:`CI_RELEASES`); ``CEILOCOMPAT_RELEASES=cached``
  runs every release cached under ``cache_dir()``, and
  ``CEILOCOMPAT_RELEASES=19.0.0,19.1.0`` the releases named (built if needed).

Keys a release sends only when they are set (``omit_when_none``, e.g.
``publisher_id``) may be absent; every other key of the version must be
there, and no key of a later version.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from ceilocompat import Event, Sample
from ceilocompat.grenade.environments import cache_dir
from ceilocompat.models import model_keys, model_version
from ceilocompat.releases import parse_release
from release_corpus import CORPUS, RELEASE_CORPUS, RELEASES
from release_environments import environment

MODELS = {"sample": Sample, "event": Event}
#: The releases whose environments CI builds (as tests/grenade/test_matrix.py does).
CI_RELEASES = ("17.0.0", "18.0.0", "18.1.0", "21.0.0", "27.0.0")


def key_problems(model, release: str, carried: set) -> list[str]:
    """How the keys one payload of *release* carries differ from the keys its model version has."""
    version = model_version(model, release)
    keys = model_keys(model, version)
    when_set = {f.key for f in model.at(version).fields if f.spec.omit_when_none}
    problems = []
    missing = sorted(keys - when_set - carried)
    extra = sorted(carried - keys)
    if missing:
        problems.append(f"lacks {', '.join(missing)}")
    if extra:
        problems.append(f"carries {', '.join(extra)}, which {model.__wire__.name} model {version} does not have")
    return [f"{release} ({model.__wire__.name} model {version}): {p}" for p in problems]


# --- the releases' own payloads, from the shared corpus ----------------------------------------




def corpus_release_params() -> list:
    if CORPUS is None:
        return [pytest.param(None, id="corpus-missing")]
    return [pytest.param(r, id=f"{r['tag']}-py{r['python']}") for r in RELEASES]


@pytest.mark.parametrize("release", corpus_release_params())
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_each_release_sends_exactly_the_keys_of_its_model_version(release, kind):
    if release is None:
        pytest.fail(f"{RELEASE_CORPUS} not found: ../shared/corpus-releases must sit beside the checkout")
    payloads = [p for p in release["payloads"] if p["kind"] == kind]
    assert payloads, f"{release['tag']} has no {kind} payloads"
    problems = {
        problem: p["id"]
        for p in payloads
        for problem in key_problems(MODELS[kind], release["tag"], set(json.loads(p["json"])))
    }
    assert not problems, "\n".join(f"{problem} (e.g. {where})" for problem, where in problems.items())


def test_the_corpus_has_a_release_of_every_series_a_version_names():
    """Each version's first release and each backport has a release of its series in the corpus."""
    assert CORPUS is not None, f"{RELEASE_CORPUS} not found"
    tags = [parse_release(r["tag"]) for r in RELEASES]
    for model in MODELS.values():
        for version in model.__wire__.versions:
            for named in (version.release, *version.also_in):
                first = parse_release(named)
                assert any(t.major == first.major and t >= first for t in tags), (model, version.number, named)


# --- the releases' own code, run in their environments ------------------------------------------

ENCODE_A_SAMPLE = r"""
import inspect, json
from ceilometer import sample
from ceilometer.publisher import utils
s = sample.Sample(name="cpu", type="cumulative", unit="ns", volume=1, user_id="u", project_id="p",
                  resource_id="vm-1", timestamp="2024-06-20T09:32:36.521082", resource_metadata={})
encode = utils.meter_message_from_counter
try:
    parameters = inspect.signature(encode).parameters
except AttributeError:  # Python 2
    parameters = inspect.getargspec(encode).args
found = {"plain": sorted(encode(s, "release table secret"))}
if "publisher_id" in parameters:
    found["with publisher_id"] = sorted(encode(s, "release table secret", publisher_id="telemetry.publisher.h1"))
print(json.dumps(found))
"""


def environment_releases() -> list[str]:
    chosen = os.environ.get("CEILOCOMPAT_RELEASES", "").strip()
    if chosen == "cached":
        homes = sorted(cache_dir().glob("*/environment.json"), key=lambda p: parse_release(p.parent.name).key)
        return [home.parent.name for home in homes] or ["none-cached"]
    if chosen:
        return [r.strip() for r in chosen.split(",") if r.strip()]
    return list(CI_RELEASES)


@pytest.mark.grenade
@pytest.mark.parametrize("release", environment_releases())
def test_each_release_environment_encodes_the_keys_of_its_model_version(release):
    if release == "none-cached":
        pytest.fail(f"CEILOCOMPAT_RELEASES=cached but {cache_dir()} holds no release environment", pytrace=False)
    env = environment(release)
    done = subprocess.run([env.bin("python"), "-c", ENCODE_A_SAMPLE], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, cwd=env.path)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    problems = [f"{how}: {p}" for how, keys in found.items() for p in key_problems(Sample, release, set(keys))]
    assert not problems, "\n".join(problems)
    if "with publisher_id" in found:
        assert "publisher_id" in found["with publisher_id"], found
