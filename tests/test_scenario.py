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
