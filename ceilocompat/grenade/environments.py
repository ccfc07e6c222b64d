"""Release environments: one cached virtualenv per Ceilometer release, built from PyPI.

A release of Ceilometer runs only with libraries of its own time. Each
environment is built the way the release was tested: ``pip install
ceilometer==<release>`` with its series' upper-constraints (the
``ceilometer===`` line removed) under an interpreter the series supports,
found among those on the machine (``PATH`` and the pyenv root). When that
does not build, the next recipe is tried: the same constraints under the
machine's default Python 3.11, then no constraints with the few pins a
release is known to need. Releases before 12.0.0 (Ocata to Rocky) are tried
only with their own constraints, under Python 3.6 and then Python 2.7, the
interpreters of their time; ``python2.7`` has no ``venv`` module, so its
environments are made by a ``virtualenv<20.22`` kept in a tools environment
of the cache (:func:`tools_dir`). Every attempt is recorded, so a release that
does not install says why.

Environments live under :func:`cache_dir` (``CEILOCOMPAT_RELEASES_DIR``, else
``~/.cache/ceilocompat/releases``), one directory per release, with an
``environment.json`` written once the release imports its agents; pip's own
cache keeps every download, so a rebuild needs nothing new from the network.

>>> [str(r) for r in candidate_recipes("21.0.0", {"3.11": "/usr/bin/python3.11"})][:2]
['21.0.0 on Python 3.11 with 2023.2 constraints', '21.0.0 on Python 3.11 without constraints']
>>> [str(r) for r in candidate_recipes("8.1.5", {"2.7": "/usr/bin/python2.7", "3.6": "/usr/bin/python3.6"})]
['8.1.5 on Python 3.6 with ocata constraints', '8.1.5 on Python 2.7 with ocata constraints']
>>> series_of("13.1.2"), series_of("27.0.0")
('train', 'master')
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping

import attrs

from ceilocompat.releases import CODE_NAMES, parse_release

__all__ = [
    "Environment",
    "Recipe",
    "agent_modules",
    "available_releases",
    "build_environment",
    "cache_dir",
    "candidate_recipes",
    "constraints_dir",
    "find_interpreters",
    "packaging_tools",
    "series_of",
    "tools_dir",
]

#: Interpreters each series was tested with, by Ceilometer major version, preferred first: the
#: newest one its upper-constraints still pin every library for (stein pins dnspython up to 3.6;
#: Ocata to Rocky were tested on 2.7 and 3.5, which this machine lacks: 3.6 is the nearest).
SERIES_PYTHONS: dict[int, tuple[str, ...]] = {
    8: ("3.6", "2.7"), 9: ("3.6", "2.7"), 10: ("3.6", "2.7"), 11: ("3.6", "2.7"),
    12: ("3.6", "3.7"), 13: ("3.7", "3.6"),
    14: ("3.8", "3.7", "3.6"), 15: ("3.8", "3.7", "3.6"), 16: ("3.8", "3.7", "3.6"),
    17: ("3.9", "3.8"), 18: ("3.9", "3.8"), 19: ("3.10", "3.9", "3.8"), 20: ("3.10", "3.9"),
    21: ("3.11", "3.10"), 22: ("3.11", "3.10"), 23: ("3.11", "3.12", "3.10"), 24: ("3.11", "3.12", "3.10"),
    25: ("3.11", "3.12", "3.10"), 26: ("3.11", "3.12", "3.13"), 27: ("3.11", "3.12", "3.13"),
}
#: The interpreter tried when a series' own ones do not build the release.
FALLBACK_PYTHON = "3.11"
#: Releases before this one are tried with every interpreter of their series and never with the
#: fallback: their libraries predate Python 3.11 (and, unconstrained, today's libraries dropped them).
OWN_PYTHONS_ONLY_BEFORE = 12
#: Pins a release needs when installed without constraints (newer libraries dropped what it uses).
UNCONSTRAINED_PINS: dict[int, tuple[str, ...]] = {
    12: ("oslo.utils<5.1",),  # 12.x imports oslo_utils.fnmatch
    13: ("oslo.utils<5.1",),
}
#: Modules each release must import for its services to start (see :func:`agent_modules`).
AGENT_MODULES = ("ceilometer.notification", "ceilometer.polling.manager", "ceilometer.publisher.utils")
#: Up to Pike (9.x) the polling agent's manager is ``ceilometer.agent.manager``; Queens moved it.
_OLD_AGENT_MODULES = ("ceilometer.notification", "ceilometer.agent.manager", "ceilometer.publisher.utils")
#: The newest packaging tools each interpreter runs (pip, setuptools, wheel).
_TOOLS_FOR_PYTHON = {
    "3.6": ("pip<22", "setuptools<60", "wheel<0.38"),
    "3.7": ("pip<24.1", "setuptools<68", "wheel<0.43"),
}
_TOOLS = ("pip", "setuptools<70", "wheel")
#: Releases before 12.0.0 build sdists of their time: MarkupSafe 1.0 imports setuptools' ``Feature`` (gone
#: in 46), cmd2 0.6.9 uses ``use_2to3`` (gone in 58).
_OLD_SERIES_TOOLS = {
    "2.7": ("pip<21", "setuptools<45", "wheel<0.38"),
    "3.6": ("pip<22", "setuptools<46", "wheel<0.38"),
}
#: What makes Python 2.7 environments (the last virtualenv that still creates them).
_VIRTUALENV = "virtualenv<20.22"
_MARKER = "environment.json"
_FAILED = "failed.json"


def available_releases(oldest: str = "8.1.5") -> list[str]:
    """Every ceilometer release on the package index from *oldest* on, oldest first (asks pip).

    Raises RuntimeError, saying why, when the index cannot be read.
    """
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "ceilometer"], capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RuntimeError("the package index did not answer within 120 s") from None
    match = re.search(r"Available versions:\s*(.+)", done.stdout)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"cannot list ceilometer releases: {_last_error(done.stderr or done.stdout)}")
    floor = parse_release(oldest)
    found = {v.strip() for v in match.group(1).split(",") if v.strip()}
    return sorted((v for v in found if parse_release(v) >= floor), key=lambda v: parse_release(v).key)


def series_of(release: str) -> str:
    """The series whose upper-constraints a release installs with (``master`` past the newest).

    >>> series_of("20.0.0"), series_of("2024.2"), series_of("12.1.1")
    ('2023.1', '2024.2', 'stein')
    """
    major = parse_release(release).major
    if major >= len(CODE_NAMES):
        return "master"
    if major >= 20:
        year, half = divmod(major - 20, 2)
        return f"{2023 + year}.{half + 1}"
    return CODE_NAMES[major]


def constraints_dir() -> pathlib.Path:
    """Where the upper-constraints files are: ``CEILOCOMPAT_CONSTRAINTS``, else ``../shared/openstack-constraints``."""
    explicit = os.environ.get("CEILOCOMPAT_CONSTRAINTS")
    if explicit:
        return pathlib.Path(explicit)
    return pathlib.Path(__file__).resolve().parents[3] / "shared" / "openstack-constraints"


def cache_dir() -> pathlib.Path:
    """Where release environments are built and kept."""
    explicit = os.environ.get("CEILOCOMPAT_RELEASES_DIR")
    if explicit:
        return pathlib.Path(explicit)
    return pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "ceilocompat" / "releases"


def find_interpreters(search: Iterable[str] | None = None) -> dict[str, str]:
    """``{"2.7": path, "3.11": path}`` for every CPython 2.7 and 3 on ``PATH`` or under the pyenv root.

    The first directory holding a version wins (the pyenv root's come before ``PATH``).

    >>> "3.11" in find_interpreters() or sys.version_info[:2] != (3, 11)
    True
    """
    found: dict[str, str] = {}
    roots = list(search) if search is not None else _interpreter_dirs()
    for directory in roots:
        for path in sorted(pathlib.Path(directory).glob("python[23].*")):
            match = re.fullmatch(r"python(2\.7|3\.\d+)", path.name)
            if match and path.is_file() and os.access(path, os.X_OK):
                found.setdefault(match.group(1), str(path))
    return dict(sorted(found.items(), key=lambda item: tuple(int(n) for n in item[0].split("."))))


def _interpreter_dirs() -> list[str]:
    pyenv = pathlib.Path(os.environ.get("PYENV_ROOT", pathlib.Path.home() / ".pyenv")) / "versions"
    versions = sorted([*pyenv.glob("2.7*"), *pyenv.glob("3.*")]) if pyenv.is_dir() else []
    return [str(p / "bin") for p in versions] + os.environ.get("PATH", "").split(os.pathsep)


def tools_dir(root: pathlib.Path | None = None) -> pathlib.Path:
    """The environment, beside the releases', whose ``virtualenv`` makes Python 2.7 environments."""
    return (root or cache_dir()) / ".tools" / "virtualenv"


def agent_modules(release: str) -> tuple[str, ...]:
    """What *release* must import for its notification agent and polling agent to start.

    >>> agent_modules("9.0.7")[1], agent_modules("10.0.1")[1]
    ('ceilometer.agent.manager', 'ceilometer.polling.manager')
    """
    return _OLD_AGENT_MODULES if parse_release(release).major < 10 else AGENT_MODULES


@attrs.frozen
class Recipe:
    """One way to install a release: which interpreter, which constraints, which extra pins."""

    release: str
    python: str
    interpreter: str = attrs.field(repr=False)
    series: str | None
    pins: tuple[str, ...] = ()

    def __str__(self) -> str:
        constraints = f"with {self.series} constraints" if self.series else "without constraints"
        pins = f" and {', '.join(self.pins)}" if self.pins else ""
        return f"{self.release} on Python {self.python} {constraints}{pins}"


def packaging_tools(recipe: Recipe) -> tuple[str, ...]:
    """The pip, setuptools and wheel a recipe's environment gets before the release.

    >>> [packaging_tools(Recipe(release, "3.6", "python3.6", None))[1] for release in ("9.0.7", "12.0.0")]
    ['setuptools<46', 'setuptools<60']
    """
    if parse_release(recipe.release).major < OWN_PYTHONS_ONLY_BEFORE and recipe.python in _OLD_SERIES_TOOLS:
        return _OLD_SERIES_TOOLS[recipe.python]
    return _TOOLS_FOR_PYTHON.get(recipe.python, _TOOLS)


def candidate_recipes(release: str, interpreters: Mapping[str, str]) -> list[Recipe]:
    """The recipes to try for *release*, best first, among the interpreters present.

    Releases before :data:`OWN_PYTHONS_ONLY_BEFORE` get every interpreter of their series, and only those.
    """
    major = parse_release(release).major
    series = series_of(release)
    pythons = [p for p in SERIES_PYTHONS.get(major, ()) if p in interpreters]
    if major < OWN_PYTHONS_ONLY_BEFORE:
        return [Recipe(release, p, interpreters[p], series) for p in pythons]
    recipes = [Recipe(release, p, interpreters[p], series) for p in pythons[:1]]
    if FALLBACK_PYTHON in interpreters:
        fallback = interpreters[FALLBACK_PYTHON]
        if FALLBACK_PYTHON not in pythons[:1]:
            recipes.append(Recipe(release, FALLBACK_PYTHON, fallback, series))
        recipes.append(Recipe(release, FALLBACK_PYTHON, fallback, None, UNCONSTRAINED_PINS.get(major, ())))
    return recipes


@attrs.frozen
class Environment:
    """A built (or failed) release environment and how it came to be."""

    release: str
    path: pathlib.Path
    ok: bool
    recipe: str = ""
    python: str = ""
    version: str = ""
    seconds: float = 0.0
    attempts: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """Why it is not usable (the last attempt's error), or ``""``."""
        return "" if self.ok or not self.attempts else self.attempts[-1]

    def bin(self, name: str) -> str:
        """The path of a console script (``ceilometer-agent-notification``) or ``python``."""
        return str(self.path / "bin" / name)

    def as_dict(self) -> dict:
        return {**attrs.asdict(self), "path": str(self.path), "reason": self.reason}


def build_environment(
    release: str,
    *,
    root: pathlib.Path | None = None,
    interpreters: Mapping[str, str] | None = None,
    rebuild: bool = False,
    progress: Callable[[str], None] | None = None,
    timeout: float = 1800.0,
) -> Environment:
    """The environment of *release*, built unless a usable one is cached.

    A release that failed before is not retried unless *rebuild*; its
    environment says why it failed.
    """
    say = progress or (lambda line: None)
    text = str(parse_release(release))
    home = (root or cache_dir()) / text
    if not rebuild:
        cached = _load(home)
        if cached is not None:
            return cached
    interpreters = find_interpreters() if interpreters is None else interpreters
    recipes = candidate_recipes(text, interpreters)
    if not recipes:
        major = parse_release(text).major
        wanted = SERIES_PYTHONS.get(major, ()) if major < OWN_PYTHONS_ONLY_BEFORE else ()
        need = f"Python {' or '.join(wanted)}" if wanted else "Python 3"
        return _failed(home, text, [f"no {need} interpreter for this release on this machine"], 0.0)
    attempts: list[str] = []
    started = time.monotonic()
    for recipe in recipes:
        say(f"{text}: installing {recipe}")
        error = _install(home, recipe, timeout)
        if error is None:
            error, version = _probe(home, text)
            if error is None:
                env = Environment(text, home, True, str(recipe), recipe.python, version,
                                  round(time.monotonic() - started, 1), tuple(attempts))
                (home / _MARKER).write_text(json.dumps(env.as_dict(), indent=2) + "\n")
                say(f"{text}: ready ({recipe}, {env.seconds:.0f} s)")
                return env
        attempts.append(f"{recipe}: {error}")
        say(f"{text}: {recipe} failed: {error}")
    return _failed(home, text, attempts, time.monotonic() - started)


def _load(home: pathlib.Path) -> Environment | None:
    for name, ok in ((_MARKER, True), (_FAILED, False)):
        try:
            data = json.loads((home / name).read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        if ok and not os.access(home / "bin" / "python", os.X_OK):
            return None
        return Environment(data.get("release", home.name), home, ok, data.get("recipe", ""), data.get("python", ""),
                           data.get("version", ""), data.get("seconds", 0.0), tuple(data.get("attempts", ())))
    return None


def _failed(home: pathlib.Path, release: str, attempts: list[str], seconds: float) -> Environment:
    env = Environment(release, home, False, seconds=round(seconds, 1), attempts=tuple(attempts))
    home.mkdir(parents=True, exist_ok=True)
    (home / _FAILED).write_text(json.dumps(env.as_dict(), indent=2) + "\n")
    return env


def _install(home: pathlib.Path, recipe: Recipe, timeout: float) -> str | None:
    """Make a fresh venv at *home* and install the recipe into it; the error, or None."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    deadline = time.monotonic() + timeout
    if recipe.python.startswith("2."):
        tools, error = _virtualenv(home.parent, timeout)
        if tools is None:
            return error
        steps = [[tools, "-m", "virtualenv", "--quiet", "--no-periodic-update", "-p", recipe.interpreter, str(home)]]
    else:
        steps = [[recipe.interpreter, "-m", "venv", str(home)]]
    python = str(home / "bin" / "python")
    pip = [python, "-m", "pip", "--disable-pip-version-check", "-q"]
    steps.append(pip + ["install", "--upgrade", *packaging_tools(recipe)])
    install = pip + ["install", f"ceilometer=={recipe.release}", *recipe.pins]
    if recipe.series:
        constraints = _constraints_without_ceilometer(recipe.series, home)
        if constraints is None:
            return f"no upper-constraints file for {recipe.series} in {constraints_dir()}"
        install += ["-c", str(constraints)]
    steps.append(install)
    return _run_steps(steps, deadline, timeout)


def _run_steps(steps: list[list[str]], deadline: float, timeout: float) -> str | None:
    for command in steps:
        try:
            done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                  timeout=max(1.0, deadline - time.monotonic()), env=_pip_env())
        except subprocess.TimeoutExpired:
            return f"gave up after {timeout:.0f} s"
        if done.returncode != 0:
            return _last_error(done.stderr or done.stdout)
    return None


def _virtualenv(root: pathlib.Path, timeout: float) -> tuple[str | None, str]:
    """The Python of :func:`tools_dir`, which runs ``-m virtualenv``, made once; (path or None, error)."""
    tools = tools_dir(root)
    python = tools / "bin" / "python"
    if (tools / _MARKER).is_file() and os.access(python, os.X_OK):
        return str(python), ""
    building = tools.with_name(f"{tools.name}.{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.parent.mkdir(parents=True, exist_ok=True)
    error = _run_steps([[_tools_python(), "-m", "venv", str(building)],
                        [str(building / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q",
                         "install", _VIRTUALENV]],
                       time.monotonic() + timeout, timeout)
    if error is not None:
        shutil.rmtree(building, ignore_errors=True)
        return None, f"cannot make the Python 2.7 tools ({_VIRTUALENV}): {error}"
    (building / _MARKER).write_text(json.dumps({"requirement": _VIRTUALENV}) + "\n")
    shutil.rmtree(tools, ignore_errors=True)  # a half-made one, without its marker
    try:
        building.rename(tools)  # its python finds its packages from where it is: a rename keeps it whole
    except OSError:  # another build made it meanwhile
        shutil.rmtree(building, ignore_errors=True)
    return (str(python), "") if os.access(python, os.X_OK) else (None, f"no {python}")


def _tools_python() -> str:
    """An interpreter that runs ``virtualenv<20.22``: the newest of 3.7 to 3.11 found, else this one."""
    found = find_interpreters()
    for version in ("3.11", "3.10", "3.9", "3.8", "3.7"):
        if version in found:
            return found[version]
    return sys.executable


def _pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    env["PIP_NO_INPUT"] = "1"
    return env


def _constraints_without_ceilometer(series: str, home: pathlib.Path) -> pathlib.Path | None:
    source = constraints_dir() / f"{series}.txt"
    try:
        lines = source.read_text().splitlines()
    except OSError:
        return None
    kept = [line for line in lines if not re.match(r"\s*ceilometer\s*===", line)]
    target = home / "upper-constraints.txt"
    target.write_text("\n".join(kept) + "\n")
    return target


def _probe_code(release: str) -> str:
    """The probe's program: it imports the release's agents and prints its version (Python 2.7 too)."""
    return (
        "import importlib, sys\n"
        f"for name in {agent_modules(release)!r}:\n"
        "    importlib.import_module(name)\n"
        "try:\n"
        "    from importlib.metadata import version\n"
        "except ImportError:  # Python 3.7 and older, and 2.7\n"
        "    import pkg_resources\n"
        "    def version(name): return pkg_resources.get_distribution(name).version\n"
        "print(version('ceilometer'))\n"
    )


def _probe(home: pathlib.Path, release: str) -> tuple[str | None, str]:
    """Import what the release's agents need; (error or None, installed version)."""
    try:
        done = subprocess.run([str(home / "bin" / "python"), "-c", _probe_code(release)], capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=300, env=_pip_env(), cwd=str(home))
    except subprocess.TimeoutExpired:
        return "importing its agents took more than 300 s", ""
    if done.returncode != 0:
        return f"installs but does not start: {_last_error(done.stderr)}", ""
    return None, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _last_error(text: str) -> str:
    """The most telling line of a failed command's output, one line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if re.match(r"(\w+\.)*\w*(Error|Exception)\b|ERROR:|error:", line) and "notice" not in line:
            return line[:300]
    return (lines[-1] if lines else "failed without output")[:300]


if __name__ == "__main__":  # pragma: no cover
    for arg in sys.argv[1:]:
        print(json.dumps(build_environment(arg, progress=print).as_dict()))
