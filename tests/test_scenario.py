import tomllib

import pytest

from regioindeling.errors import InputError
from regioindeling.scenario import Scenario, load_scenario, scenario_from_dict, scenario_to_toml


def test_defaults_round_trip_through_toml():
    s = Scenario()
    assert scenario_from_dict(tomllib.loads(scenario_to_toml(s))) == s


@pytest.mark.parametrize(
    "data, field",
    [
        ({"size": {"min_pupils": 10, "max_pupils": 5}}, "size"),
        ({"travl": {}}, "travl"),
        ({"travel": {"max_km": -3}}, "travel.max_km"),
        ({"units": {"level": "province"}}, "units.level"),
        ({"travel": {"facility_max_km": {"bao": 5}}}, "travel"),
        ({"locks": {"apart": [["GM0363"]]}}, "locks"),
    ],
)
def test_bad_values_name_the_field(data, field):
    with pytest.raises(InputError) as exc:
        scenario_from_dict(data, "s.toml")
    assert exc.value.field == field
    assert exc.value.line().startswith(f"s.toml, field '{field}'")
    assert "fix:" in exc.value.line()


def test_bad_toml_syntax(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text("[size\nmax_pupils = 3")
    with pytest.raises(InputError, match="invalid TOML"):
        load_scenario(p)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_scenario(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    "locks, pattern",
    [
        ({"together": [["GM0014", "GM0037"]], "apart": [["GM0037", "GM0014"]]}, "GM0037 and GM0014 are kept apart"),
        ({"together": [["GM0014", "GM0037"], ["GM0037", "GM0047"]], "apart": [["GM0014", "GM0047"]]}, "GM0014 and GM0047"),
        ({"pin": {"GM0014": "Noord", "GM0037": "Noord"}, "apart": [["GM0014", "GM0037"]]}, "one pin name"),
        ({"pin": {"GM0014": "Noord", "GM0037": "Oost"}, "together": [["GM0014", "GM0037"]]}, "pins 'Noord' and 'Oost'"),
    ],
)
def test_contradicting_locks_are_refused_without_data(locks, pattern):
    with pytest.raises(InputError, match=pattern) as exc:
        scenario_from_dict({"locks": locks}, "s.toml")
    assert exc.value.field == "locks" and exc.value.fix.startswith("remove")


def test_consistent_locks_pass():
    sc = scenario_from_dict({"locks": {"pin": {"GM0014": "Noord", "GM0037": "Noord"},
                                       "together": [["GM0014", "GM0047"]], "apart": [["GM0014", "GM0080"]]}})
    assert sc.locks.apart == [["GM0014", "GM0080"]]
