from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from ips_outcomes.config import load_config
from ips_outcomes.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "workflow").mkdir()
    shutil.copytree(ROOT / "workflow" / "schemas", tmp_path / "workflow" / "schemas")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(
        "input_dir: data/raw/demo\ndata_cutoff: '2025-12-31'\nlanguage: fi\n"
    )
    (tmp_path / "data" / "raw" / "demo").mkdir(parents=True)
    return tmp_path


def test_defaults_are_filled_and_paths_resolved(project: Path) -> None:
    config = load_config(project)
    assert config.input_dir == project / "data" / "raw" / "demo"
    assert config.cohort_name == "demo"
    assert config.data_cutoff == dt.date(2025, 12, 31)
    assert config.followup_months == (6, 12, 18)
    assert (config.intervention, config.design, config.small_cell_threshold) == (
        "IPS",
        "randomised",
        5,
    )
    assert config.language == "fi"


def test_cohort_yaml_overrides_config_and_command_line_overrides_both(project: Path) -> None:
    (project / "data" / "raw" / "demo" / "cohort.yaml").write_text(
        "data_cutoff: 2024-06-30\nintervention: IPS-team\nlanguage: sv\n"
    )
    config = load_config(project, {"language": "en"})
    assert config.data_cutoff == dt.date(2024, 6, 30)  # an unquoted YAML date works too
    assert config.intervention == "IPS-team"
    assert config.language == "en"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"language": "de"}, "language: 'de' is not one of"),
        ({"data_cutoff": "31.12.2025"}, "data_cutoff: '31.12.2025' does not match"),
        ({"data_cutoff": "2025-02-30"}, "data_cutoff: '2025-02-30' is not a 'date'"),
        ({"small_cell_threshold": 0}, "small_cell_threshold: 0 is less than the minimum of 1"),
        ({"followup_months": []}, "followup_months: [] should be non-empty"),
        ({"colour": "red"}, "Additional properties are not allowed ('colour' was unexpected)"),
    ],
)
def test_bad_values_give_clear_messages(project: Path, overrides, message) -> None:
    with pytest.raises(InputError) as error:
        load_config(project, overrides)
    assert message in str(error.value)
    assert str(error.value).startswith("configuration is not valid:")


def test_missing_config_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_config(tmp_path)
