"""The pytest plugin, used the way a third party uses it: in its own project and test run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

MODELS = '''
import attrs
from ceilocompat.models import ModelVersion, wire_field
from ceilocompat.models import OPTIONAL_NUMBER, OPTIONAL_STRING, STRING
from ceilocompat.models import WireModel, wire_model


@wire_model("reading", [ModelVersion("1.0", release="2024.1")])
@attrs.define(kw_only=True, on_setattr=attrs.setters.NO_OP)
class Reading(WireModel):
    sensor: str = wire_field(STRING, since="1.0", required=True)
    value: float | None = wire_field({kind}, since="1.0", meaning="degrees Celsius")
'''


def run(*argv, cwd):
    return subprocess.run([sys.executable, *argv], cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def project(tmp_path):
    """A third-party project: a model, released manifests and a test using the fixture."""
    (tmp_path / "mymodels.py").write_text(MODELS.format(kind="OPTIONAL_NUMBER"))
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["ceilocompat.pytest_plugin"]\n')
    (tmp_path / "pytest.ini").write_text("[pytest]\nceilocompat_manifests = manifests\n")
    (tmp_path / "test_additive.py").write_text(
        textwrap.dedent(
            """
            from mymodels import Reading

            def test_models_only_add(wire_model_checker):
                wire_model_checker.assert_compatible([Reading])
            """
        )
    )
    release = run("-m", "ceilocompat", "check", "--write-new-manifests", "--manifests", "manifests",
                  "--model", "mymodels:Reading", cwd=tmp_path)
    assert release.returncode == 0, release.stderr
    assert (tmp_path / "manifests" / "reading-1.0.json").exists()
    return tmp_path


def test_the_fixture_passes_a_model_that_only_added(project):
    result = run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout


def test_the_fixture_fails_naming_what_broke(project):
    (project / "mymodels.py").write_text(MODELS.format(kind="OPTIONAL_STRING"))
    result = run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    assert result.returncode == 1
    assert "reading.value: type-changed: kind 'number|null' became 'string|null'" in result.stdout
