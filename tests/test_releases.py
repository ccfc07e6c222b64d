"""Reading and ordering Ceilometer releases (ceilocompat.releases)."""

from __future__ import annotations

import pytest

from ceilocompat import partitioning, releases
from ceilocompat.releases import Release, has_passed, parse_release, series_number


@pytest.mark.parametrize("text,key", [
    ("9.0.0", (9, 0, 0)), ("18.1.0", (18, 1, 0)), ("18.2.3", (18, 2, 3)), ("9", (9, 0, 0)),
    ("10.0.0.0rc1", (10, 0, 0)), ("10.0.0.0b2", (10, 0, 0)), ("9.0.1.dev4", (9, 0, 1)),
    ("9.0.0+g1234", (9, 0, 0)), ("  12.0.0 ", (12, 0, 0)),
    ("2013.1", (0, 0, 0)), ("2013.2.1", (1, 0, 1)), ("2014.1", (2, 0, 0)), ("2014.2.4", (3, 0, 4)),
    ("2015.1.0", (4, 0, 0)), ("2015.1.2", (4, 0, 2)),
    ("2023.1", (20, 0, 0)), ("2023.2", (21, 0, 0)), ("2024.1", (22, 0, 0)), ("2024.2", (23, 0, 0)),
    ("2025.1", (24, 0, 0)), ("2026.1", (26, 0, 0)), ("2023.1.0", (20, 0, 0)),
    ("grizzly", (0, 0, 0)), ("kilo", (4, 0, 0)), ("Stein", (12, 0, 0)), ("ZED", (19, 0, 0)),
    ("antelope", (20, 0, 0)), ("epoxy", (24, 0, 0)), ("gazpacho", (26, 0, 0)),
])
def test_every_spelling_reads(text, key):
    release = parse_release(text)
    assert release.key == key and release.major == key[0] == series_number(text)
    assert str(release) == text.strip()


def test_code_names_number_the_series():
    assert releases.CODE_NAMES.index("zed") == 19 and releases.CODE_NAMES.index("antelope") == 20
    assert releases.CODE_NAMES[:20] == releases.NAMED_SERIES
    assert [series_number(name) for name in releases.CODE_NAMES] == list(range(len(releases.CODE_NAMES)))


def test_releases_order_by_major_minor_patch():
    ordered = ["2014.2", "kilo", "2015.1.1", "9.0.0", "queens", "18.0.0", "18.1.0", "18.2.0", "2023.1", "2023.2"]
    assert sorted(map(parse_release, reversed(ordered))) == [parse_release(r) for r in ordered]
    assert parse_release("10.0.0.0rc1") == parse_release("queens")
    assert parse_release("Queens") in {parse_release("10.0.0")}
    assert parse_release("9.0.0") != "9.0.0"


@pytest.mark.parametrize("bad", ["", "  ", "abc", "nine", "v9", "-1", "2019.3", "1999.1", "2016.1", "2015.2",
                                 "2023", "2023.3", "9..0", "9.0.", "foo-bar"])
def test_non_releases_are_refused_with_one_message(bad):
    message = f"{bad!r} is not a Ceilometer release (write it like '9.0.0', '2023.1' or 'pike')"
    for read in (parse_release, series_number, partitioning.partition_scheme):
        with pytest.raises(ValueError) as caught:
            read(bad)
        assert str(caught.value) == message


def test_a_release_is_a_string():
    for read in (parse_release, partitioning.partition_scheme):
        with pytest.raises(TypeError, match="a release must be a string, not int"):
            read(9)  # type: ignore[arg-type]
    assert series_number(2024.1) == 22  # a YAML number reads as its text  # type: ignore[arg-type]
    assert series_number(parse_release("2024.2")) == 23  # type: ignore[arg-type]


def test_has_passed_compares_series_only():
    assert has_passed("2024.1", "2024.2") and not has_passed("2024.1", "22.9.9") and not has_passed("zed", None)


def test_there_is_one_release_parser():
    import ceilocompat

    holders = [name for name, module in sorted(vars(__import__("sys")).get("modules").items())
               if name.startswith("ceilocompat") and getattr(module, "parse_release", None) is parse_release
               and getattr(module, "__all__", None) and "parse_release" in module.__all__]
    assert holders == ["ceilocompat.releases"], "parse_release is exported from one module only"
    assert Release is releases.Release and ceilocompat
