"""Mutation tests of the additive-only checker.

A "widget" model is released (its manifests written to a temporary
directory); each variant below commits exactly one kind of violation, and the
checker must report exactly that rule for exactly that field. The real
models pass against the committed manifests.
"""

from __future__ import annotations

import json
import subprocess
import sys

import attrs
import pytest

import ceilocompat as cc
from ceilocompat.cli import main
from ceilocompat.evolution import checker
from ceilocompat.evolution.manifest import PACKAGE_MANIFESTS, build_manifest, load_manifests, save_manifest
from ceilocompat.models import (
    MAPPING,
    OPTIONAL_NUMBER,
    OPTIONAL_STRING,
    STRING,
    STRING_OR_NULL_ON_READ,
    Kind,
    ModelVersion,
    WireModel,
    wire_field,
    wire_model,
)
from ceilocompat.releases import has_passed

RELEASES = {"1.0": "20.0.0", "1.1": "22.0.0", "1.2": "24.0.0", "1.3": "26.0.0"}


def widget(versions=("1.0", "1.1"), drop=(), **changes):
    """The widget model at *versions*, without the fields in *drop*, with fields replaced or added."""
    fields = {
        "name": wire_field(STRING, since="1.0", required=True, doc="Widget name."),
        "size": wire_field(OPTIONAL_NUMBER, since="1.0", meaning="bytes"),
        "colour": wire_field(OPTIONAL_STRING, since="1.0", default="red"),
        "tags": wire_field(MAPPING, since="1.1", default_factory=dict),
        "message_signature": wire_field(OPTIONAL_STRING, since="1.0"),
        **changes,
    }
    cls = attrs.make_class(
        "Widget",
        {key: f for key, f in fields.items() if key not in drop},
        bases=(WireModel,),
        kw_only=True,
        slots=True,
        on_setattr=attrs.setters.NO_OP,
    )
    return wire_model("widget", [ModelVersion(v, release=RELEASES[v]) for v in versions])(cls)


Widget = widget()
DeprecatedColour = widget(
    versions=("1.0", "1.1", "1.2"),
    colour=wire_field(OPTIONAL_STRING, since="1.0", default="red", deprecated_in="1.2", drop_after="2024.1"),
)
ColourDropped = widget(versions=("1.0", "1.1", "1.2", "1.3"), drop=["colour"])
SizeIsText = widget(size=wire_field(OPTIONAL_STRING, since="1.0", meaning="bytes"))


@pytest.fixture
def released(tmp_path):
    """A manifest directory where widget 1.0 and 1.1 are released."""
    checker.write_new_manifests([Widget], tmp_path)
    return tmp_path


def rules(report) -> set:
    return {(v.field, v.rule) for v in report.violations}


MUTATIONS = {
    "field-removed": (widget(drop=["colour"]), "colour"),
    "field-renamed": (widget(drop=["colour"], color=wire_field(OPTIONAL_STRING, since="1.0", default="red")), "colour"),
    "type-changed": (SizeIsText, "size"),
    "default-changed": (widget(colour=wire_field(OPTIONAL_STRING, since="1.0", default="blue")), "colour"),
    "made-required": (widget(size=wire_field(OPTIONAL_NUMBER, since="1.0", required=True, meaning="bytes")), "size"),
    "new-field-without-default": (
        widget(versions=("1.0", "1.1", "1.2"), weight=wire_field(STRING, since="1.0", required=True)),
        "weight",
    ),
    "version-not-bumped": (widget(weight=wire_field(OPTIONAL_NUMBER, since="1.1")), "weight"),
    "meaning-changed": (widget(size=wire_field(OPTIONAL_NUMBER, since="1.0", meaning="KiB")), "size"),
}


@pytest.mark.parametrize("rule", sorted(MUTATIONS))
def test_each_mutation_is_reported_as_exactly_its_rule(released, rule):
    variant, field = MUTATIONS[rule]
    report = checker.check([variant], released)
    assert rules(report) == {(field, rule)}
    assert not report.ok


def test_the_released_widget_passes(released):
    report = checker.check([Widget], released)
    assert report.ok and report.violations == ()
    assert report.models[0].released == ("1.0", "1.1")


def test_the_real_models_pass_against_the_committed_manifests():
    report = checker.check()
    assert report.ok, "\n".join(map(str, report.violations))
    assert {(m.model, m.released) for m in report.models} == {("sample", ("1.0", "1.1", "1.2")), ("event", ("1.0",))}


def test_committed_manifests_list_exactly_the_keys_of_each_release():
    kilo = (
        "source counter_name counter_type counter_unit counter_volume user_id project_id resource_id "
        "timestamp resource_metadata message_id message_signature"
    ).split()
    keys = {(m["model"], m["version"]): {f["key"] for f in m["fields"]} for m in load_manifests(PACKAGE_MANIFESTS)}
    assert keys == {
        ("sample", "1.0"): set(kilo),
        ("sample", "1.1"): {*kilo, "monotonic_time"},
        ("sample", "1.2"): {*kilo, "monotonic_time", "user_name", "project_name", "publisher_id"},
        ("event", "1.0"): {"message_id", "event_type", "generated", "traits", "raw", "message_signature"},
    }


def test_a_violation_seen_in_several_manifests_is_one_line_naming_them(released):
    (violation,) = checker.check([widget(drop=["colour"])], released).violations
    assert violation.versions == ("1.0", "1.1")
    assert str(violation).startswith("widget.colour: field-removed: ")
    assert str(violation).endswith("[released 1.0, 1.1]")


def test_every_released_manifest_is_checked_not_only_the_latest(released):
    # colour now claims to be new in 1.1: version 1.1 looks the same, version 1.0 lost it
    moved = widget(colour=wire_field(OPTIONAL_STRING, since="1.1", default="red"))
    (violation,) = checker.check([moved], released).violations
    assert (violation.field, violation.rule, violation.versions) == ("colour", "field-removed", ("1.0",))


def test_an_optional_field_in_a_new_version_is_fine(released):
    grown = widget(versions=("1.0", "1.1", "1.2"), weight=wire_field(OPTIONAL_NUMBER, since="1.2"))
    report = checker.check([grown], released)
    assert report.ok and report.models[0].unreleased == ("1.2",)
    assert "widget 1.2: not released yet" in report.summary()


def test_version_not_bumped_names_the_new_version_to_use(released):
    late = widget(versions=("1.0", "1.1", "1.2"), weight=wire_field(OPTIONAL_NUMBER, since="1.1"))
    (violation,) = checker.check([late], released).violations
    assert violation.rule == "version-not-bumped" and "since='1.2'" in violation.detail


def test_deprecating_a_released_version_is_version_not_bumped(released):
    deprecated = widget(colour=wire_field(OPTIONAL_STRING, since="1.0", default="red", deprecated_in="1.1"))
    assert rules(checker.check([deprecated], released)) == {("colour", "version-not-bumped")}


def test_making_a_required_field_optional_changes_its_default(released):
    relaxed = widget(name=wire_field(STRING, since="1.0", doc="Widget name."))
    assert rules(checker.check([relaxed], released)) == {("name", "default-changed")}


def test_documentation_may_improve_without_a_violation(released):
    documented = widget(name=wire_field(STRING, since="1.0", required=True, doc="The widget's unique name."))
    assert checker.check([documented], released).ok


def test_a_widening_for_readers_only_is_no_violation(released):
    """name: string -> string|null-on-read reads null but never writes it, so readers of 'string' never meet one."""
    tolerant = widget(name=wire_field(STRING_OR_NULL_ON_READ, since="1.0", required=True, doc="Widget name."))
    assert checker.check([tolerant], released).ok
    assert tolerant.from_wire({"name": None}).name is None
    with pytest.raises(cc.DecodeError, match="name: is read but never written"):
        tolerant(name=None).to_wire()


def test_a_widening_that_writes_the_new_values_is_still_type_changed(released):
    nullable = widget(name=wire_field(OPTIONAL_STRING, since="1.0", required=True, doc="Widget name."))
    (violation,) = checker.check([nullable], released).violations
    assert (violation.field, violation.rule) == ("name", "type-changed")
    assert "'string' became 'string|null'" in violation.detail


def test_a_kind_widening_another_kind_does_not_excuse_a_change_of_this_one(released):
    # size was released as number|null; a kind that widens string for readers is still another type.
    size = wire_field(STRING_OR_NULL_ON_READ, since="1.0", meaning="bytes")
    assert rules(checker.check([widget(size=size)], released)) == {("size", "type-changed")}


def test_widenings_chain(released):
    wider = Kind("string|null|number-on-read", STRING_OR_NULL_ON_READ.fast_classes, STRING_OR_NULL_ON_READ.convert,
                 widens=STRING_OR_NULL_ON_READ)
    assert wider.widened() == ("string|null-on-read", "string")
    chained = widget(name=wire_field(wider, since="1.0", required=True, doc="Widget name."))
    assert checker.check([chained], released).ok
    with pytest.raises(cc.DecodeError, match="readers of kind 'string' refuse it"):
        chained(name=None).to_wire()


def test_a_removed_version_is_reported(released):
    shrunk = widget(versions=("1.0",), drop=["tags"])
    assert rules(checker.check([shrunk], released)) == {("", "version-removed")}


def test_a_manifest_edited_after_release_is_reported(released):
    path = released / "widget-1.0.json"
    manifest = json.loads(path.read_text())
    manifest["fingerprint"] = "sha256:" + "0" * 64
    path.write_text(json.dumps(manifest))
    assert rules(checker.check([Widget], released)) == {("", "manifest-edited")}


def test_a_missing_manifest_is_reported(released, tmp_path_factory):
    (released / "widget-1.0.json").unlink()
    assert rules(checker.check([Widget], released)) == {("", "manifest-missing")}
    empty = tmp_path_factory.mktemp("empty")
    assert rules(checker.check([Widget], empty)) == {("", "manifest-missing")}


def test_manifests_of_models_not_given_are_named(released):
    report = checker.check([], released)
    assert report.ok and report.ignored == ("widget",)
    assert "manifests of widget" in report.summary()


def test_a_broken_manifest_file_is_a_decode_error(released):
    (released / "widget-1.0.json").write_text("{not json")
    with pytest.raises(cc.DecodeError) as info:
        checker.check([Widget], released)
    assert info.value.path == "widget-1.0.json"
    (released / "widget-1.0.json").write_text(json.dumps({"model": "widget"}))
    with pytest.raises(cc.DecodeError, match="a manifest needs the keys"):
        checker.check([Widget], released)


def test_a_manifest_must_be_named_after_its_model_and_version(released):
    (released / "widget-1.0.json").rename(released / "gadget-1.0.json")
    with pytest.raises(cc.DecodeError, match=r"must be called widget-1\.0\.json"):
        checker.check([Widget], released)


# --- drop period -------------------------------------------------------------


@pytest.fixture
def deprecated(tmp_path):
    """Widget 1.0 to 1.2 released; 1.2 deprecated colour, to drop after 2024.1."""
    checker.write_new_manifests([DeprecatedColour], tmp_path)
    return tmp_path


@pytest.mark.parametrize("oldest", [None, "2023.2", "2024.1", "22.1.0"])
def test_a_deprecated_field_removed_before_its_drop_period(deprecated, oldest):
    report = checker.check([ColourDropped], deprecated, oldest_release=oldest)
    assert rules(report) == {("colour", "removed-before-drop-period")}
    assert "2024.1" in report.violations[0].detail


@pytest.mark.parametrize("oldest", ["2024.2", "23.0.0", "2025.1"])
def test_a_deprecated_field_may_go_once_its_drop_period_passed(deprecated, oldest):
    assert checker.check([ColourDropped], deprecated, oldest_release=oldest).ok


def test_a_field_never_deprecated_cannot_wait_out_a_drop_period(released):
    report = checker.check([widget(drop=["colour"])], released, oldest_release="2026.1")
    assert rules(report) == {("colour", "field-removed")}


NEVER_DROPS = {
    "deprecated without drop_after": (
        widget(
            versions=("1.0", "1.1", "1.2"),
            colour=wire_field(OPTIONAL_STRING, since="1.0", default="red", deprecated_in="1.2"),
        ),
        ColourDropped,
        ("colour", "removed-before-drop-period"),
    ),
    "required": (
        widget(
            versions=("1.0", "1.1", "1.2"),
            name=wire_field(STRING, since="1.0", required=True, deprecated_in="1.2", drop_after="2024.1"),
        ),
        widget(versions=("1.0", "1.1", "1.2", "1.3"), drop=["name"]),
        ("name", "field-removed"),
    ),
}


@pytest.mark.parametrize("case", sorted(NEVER_DROPS))
def test_fields_whose_drop_period_never_ends(tmp_path, case):
    released_as, dropped, violation = NEVER_DROPS[case]
    checker.write_new_manifests([released_as], tmp_path)
    assert rules(checker.check([dropped], tmp_path, oldest_release="2026.1")) == {violation}


def test_deprecation_shows_only_in_manifests_from_its_version_on():
    shown = {v: build_manifest(DeprecatedColour, v)["fields"][2] for v in ("1.1", "1.2")}
    assert shown["1.1"]["key"] == shown["1.2"]["key"] == "colour"
    assert (shown["1.1"]["deprecated_in"], shown["1.1"]["drop_after"]) == (None, None)
    assert (shown["1.2"]["deprecated_in"], shown["1.2"]["drop_after"]) == ("1.2", "2024.1")


def test_payloads_keep_flowing_across_a_drop():
    old_payload = DeprecatedColour(name="w", colour="green").to_wire(secret="s")
    new = ColourDropped.from_wire(old_payload)  # the key is unknown now: ignored, passed on
    assert new.unknown_keys() == ["colour"]
    assert new.to_wire() == old_payload and cc.verify_signature(new.to_wire(), "s")
    old = DeprecatedColour.from_wire(ColourDropped(name="w").to_wire())  # older readers default it
    assert old.colour == "red"


@pytest.mark.parametrize(
    "drop_after,oldest,passed",
    [("2024.1", "2024.2", True), ("2024.1", "22.5.0", False), ("zed", "2023.1", True), ("kilo", "liberty", True),
     ("2015.1.0", "kilo", False), ("pike", None, False)],
)
def test_when_a_drop_period_has_passed(drop_after, oldest, passed):
    assert has_passed(drop_after, oldest) is passed


@pytest.mark.parametrize(
    "spec,message",
    [
        (dict(deprecated_in="2.0"), "deprecated_in='2.0' is not a model version"),
        (dict(drop_after="2024.1"), "drop_after needs deprecated_in"),
        (dict(deprecated_in="1.1", drop_after="someday"), "'someday' is not a Ceilometer release"),
    ],
)
def test_model_definitions_refuse_bad_deprecations(spec, message):
    with pytest.raises(TypeError, match=message):
        widget(colour=wire_field(OPTIONAL_STRING, since="1.0", **spec))


# --- writing manifests -------------------------------------------------------


def test_writing_adds_new_versions_and_never_touches_released_ones(released):
    before = {p.name: p.read_bytes() for p in released.iterdir()}
    grown = widget(versions=("1.0", "1.1", "1.2"), weight=wire_field(OPTIONAL_NUMBER, since="1.2"))
    written = checker.write_new_manifests([grown], released)
    assert [p.name for p in written] == ["widget-1.2.json"]
    assert {name: (released / name).read_bytes() for name in before} == before
    assert checker.write_new_manifests([grown], released) == []


def test_writing_refuses_when_a_released_manifest_would_be_broken(released):
    with pytest.raises(checker.IncompatibleChange, match=r"widget\.size: type-changed"):
        grown = widget(versions=("1.0", "1.1", "1.2"), size=wire_field(OPTIONAL_STRING, since="1.0", meaning="bytes"))
        checker.write_new_manifests([grown], released)
    assert sorted(p.name for p in released.iterdir()) == ["widget-1.0.json", "widget-1.1.json"]


def test_a_released_manifest_file_is_never_replaced(released):
    with pytest.raises(FileExistsError, match="released manifests are never edited"):
        save_manifest(build_manifest(Widget, "1.0"), released)


# --- the command line ----------------------------------------------------------


def test_check_command_passes_on_the_committed_manifests():
    """What CI runs: ``python -m ceilocompat check``."""
    run = subprocess.run([sys.executable, "-m", "ceilocompat", "check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "sample: 16 fields, checked against the manifests of versions 1.0, 1.1, 1.2" in run.stdout


def test_check_command_prints_one_line_per_violation(released, capsys):
    assert main(["check", "--manifests", str(released), "--model", "test_checker:SizeIsText"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("widget.size: type-changed: kind 'number|null' became 'string|null'")


def test_check_command_json(released, capsys):
    assert main(["check", "--json", "--manifests", str(released), "--model", "test_checker:SizeIsText"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert [(v["model"], v["field"], v["rule"]) for v in report["violations"]] == [("widget", "size", "type-changed")]


def test_check_command_writes_new_manifests_only_after_a_clean_check(released, capsys):
    write = ["check", "--write-new-manifests", "--manifests", str(released), "--model"]
    assert main([*write, "test_checker:DeprecatedColour"]) == 0
    assert (released / "widget-1.2.json").exists()
    assert main([*write, "test_checker:ColourDropped"]) == 1
    assert not (released / "widget-1.3.json").exists()


@pytest.mark.parametrize(
    "argv,message",
    [
        (["check", "--model", "test_checker:Widget"], "--model needs --manifests"),
        (["check", "--oldest-release", "someday"], "'someday' is not a Ceilometer release"),
        (["check", "--manifests", "/nonexistent/manifests"], "does not exist"),
    ],
)
def test_check_command_usage_errors(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_check_command_refuses_a_model_that_is_not_one(capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", "--manifests", ".", "--model", "ceilocompat:DecodeError"])
    assert info.value.code == 2
    assert "is not a wire model" in capsys.readouterr().err
