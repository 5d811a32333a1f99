"""Checks data/durations.json: valid distributions, a source or an explicit estimate for every
figure, https links, and that the stated derivations still add up after edits."""

import json
import math
import re
from pathlib import Path

import pytest

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "durations.json"
SECTIONS = ("actions", "people", "alarms", "defects", "bake")
KNOWN_DISTS = {"lognormal", "uniform", "fixed"}
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")
Z90 = 1.2815515655446004  # standard normal quantile at 0.90


@pytest.fixture(scope="module")
def data():
    with DATA_FILE.open(encoding="utf-8") as f:
        return json.load(f)


def walk(node, path="$"):
    """Yield (path, dict) for every dict in the document, depth first."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}[{i}]")


def walk_keys(node, path="$"):
    """Yield (path, key) for every dict key, skipping maps keyed by AWS names."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key
            if key != "traffic_shift_minutes":
                yield from walk_keys(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk_keys(value, f"{path}[{i}]")


def entries(data):
    """Yield (path, entry) for every entry directly under a section."""
    for section in SECTIONS:
        for name, entry in data[section].items():
            yield f"$.{section}.{name}", entry


def is_number(value):
    """True for int or float, not bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def lognormal_mean(median, p90):
    """Mean of the lognormal with this median and 90th percentile."""
    sigma = math.log(p90 / median) / Z90
    return median * math.exp(sigma**2 / 2)


def test_top_level_shape(data):
    assert data["version"] == 1
    assert data["units"] == "minutes"
    for section in SECTIONS:
        assert isinstance(data[section], dict) and data[section], section


def test_every_action_is_a_distribution(data):
    for name, entry in data["actions"].items():
        assert entry.get("dist") in KNOWN_DISTS, f"$.actions.{name}: no known dist"


def test_distribution_parameters_are_valid(data):
    found = 0
    for path, node in walk(data):
        if "dist" not in node:
            continue
        found += 1
        dist = node["dist"]
        assert dist in KNOWN_DISTS, f"{path}: unknown dist {dist!r}"
        if dist == "lognormal":
            assert 0 < node["median"] < node["p90"], f"{path}: need 0 < median < p90"
        elif dist == "uniform":
            assert 0 <= node["low"] < node["high"], f"{path}: need 0 <= low < high"
        else:
            assert node["value"] >= 0, f"{path}: fixed value must be >= 0"
    assert found >= 20


def test_probabilities_are_between_zero_and_one(data):
    found = 0
    for path, node in walk(data):
        if "p" in node:
            found += 1
            assert is_number(node["p"]), path
            assert 0.0 <= node["p"] <= 1.0, f"{path}: p={node['p']}"
    assert found >= 10


def test_ranges_have_their_lower_bound_first(data):
    found = 0
    for path, node in walk(data):
        for lower, upper in (("low", "high"), ("min", "max")):
            if is_number(node.get(lower)) and is_number(node.get(upper)):
                found += 1
                assert node[lower] < node[upper], f"{path}: {lower} must be below {upper}"
    assert found >= 5


def test_every_entry_has_a_source_or_says_it_is_an_estimate(data):
    for path, entry in entries(data):
        sources = entry.get("sources")
        assert isinstance(sources, list), f"{path}: needs a 'sources' list (may be empty)"
        if sources:
            assert not ("source" in entry and entry["source"] is None), f"{path}: has sources, so no 'source': null"
        else:
            assert "source" in entry and entry["source"] is None, f"{path}: no sources, so 'source': null"
            assert entry.get("note", "").startswith("estimate:"), f"{path}: note must start 'estimate:'"


def test_sources_are_complete_and_https(data):
    for path, node in walk(data):
        if "url" in node:
            assert node["url"].startswith("https://"), f"{path}: {node['url']}"
        for i, source in enumerate(node.get("sources") or []):
            for field in ("title", "url", "note"):
                value = source.get(field)
                assert isinstance(value, str) and value.strip(), f"{path}.sources[{i}]: missing {field}"


def test_keys_are_snake_case(data):
    for path, key in walk_keys(data):
        assert SNAKE_CASE.match(key), f"{path}: key {key!r} is not snake_case"


def test_clock_values_are_known(data):
    for path, node in walk(data):
        if "clock" in node:
            assert node["clock"] in {"office_hours", "wall"}, path


def test_office_hours(data):
    hours = data["people"]["office_hours"]
    start = tuple(int(x) for x in hours["start"].split(":"))
    end = tuple(int(x) for x in hours["end"].split(":"))
    assert start < end
    assert hours["weekdays"] and set(hours["weekdays"]) <= set(range(7))


def test_component_sums_match_stated_medians(data):
    for name in ("ecs_rolling_update_default", "ecs_rolling_update_tuned", "ecs_blue_green_codedeploy"):
        entry = data["actions"][name]
        assert sum(entry["components"].values()) == pytest.approx(entry["median"]), name


def test_rolling_update_default_waits_at_least_the_deregistration_delay(data):
    entry = data["actions"]["ecs_rolling_update_default"]
    assert entry["components"]["deregistration_delay"] == pytest.approx(300 / 60)
    assert entry["median"] > entry["components"]["deregistration_delay"]


def test_blue_green_shift_matches_its_configuration(data):
    entry = data["actions"]["ecs_blue_green_codedeploy"]
    table = entry["traffic_shift_minutes"]
    assert entry["components"]["traffic_shift"] == table["CodeDeployDefault.ECSCanary10Percent5Minutes"]
    assert all(minutes >= 0 for minutes in table.values())
    assert all(minutes >= 0 for minutes in data["actions"]["lambda_deploy"]["traffic_shift_minutes"].values())


def test_alarm_time_to_fire_follows_from_alarm_settings(data):
    alarm = data["alarms"]["default_alarm"]
    fire = data["alarms"]["time_to_fire_after_bad_deploy"]
    assert alarm["datapoints_to_alarm"] <= alarm["evaluation_periods"]
    minimum = alarm["datapoints_to_alarm"] * alarm["period_seconds"] / 60
    assert fire["low"] == pytest.approx(minimum)
    assert fire["components"]["datapoints_times_period"] == pytest.approx(minimum)
    assert fire["high"] == pytest.approx(sum(fire["components"].values()))


def test_derived_defect_shares_follow_from_the_inputs(data):
    d = data["defects"]
    defect = d["p_commit_has_defect"]["p"]
    unit = d["unit_test_effectiveness"]["p"]
    acceptance = d["acceptance_test_effectiveness"]["p"]
    shares = d["derived_shares"]
    assert shares["caught_by_unit_tests"]["p"] == pytest.approx(defect * unit)
    assert shares["caught_only_by_acceptance_tests"]["p"] == pytest.approx(defect * (1 - unit) * acceptance)
    assert shares["reach_production_with_both_test_stages"]["p"] == pytest.approx(
        defect * (1 - unit) * (1 - acceptance))
    assert shares["reach_production_with_unit_tests_only"]["p"] == pytest.approx(defect * (1 - unit))
    assert shares["reach_production_without_tests"]["p"] == pytest.approx(defect)


def test_defect_rate_reproduces_the_dora_anchor(data):
    d = data["defects"]
    escaped = d["derived_shares"]["reach_production_with_both_test_stages"]["p"]
    assert escaped == pytest.approx(d["change_failure_rate_bands_2024"]["medium"]["p"], abs=0.01)
    bands = [band["p"] for band in d["change_failure_rate_bands_2024"].values()
             if isinstance(band, dict) and "p" in band]
    assert min(bands) <= escaped <= max(bands)


def test_time_to_restore_mean_matches_its_anchor(data):
    entry = data["people"]["time_to_restore"]
    mean = lognormal_mean(entry["median"], entry["p90"])
    assert mean == pytest.approx(entry["implied_mean_minutes"], abs=1.0)
    assert mean == pytest.approx(entry["anchor_mean_minutes"], rel=0.10)
    elite = data["people"]["dora_recovery_time_bands_2024"]["elite"]
    assert entry["median"] <= elite["max"]
