"""Broken and hostile profile files: each is a ProfileError naming file and line, and `validate-profile` exits 2."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from salestier_pipeline.profiles import ProfileError
from salestier_pipeline.profiles.loader import MAX_DEPTH, load_profile, load_profiles
from tests.runner import run_salestier

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "docs" / "examples" / "maven.yml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str | bytes, name: str = "maven") -> Path:
    path = tmp_path / f"{name}.yml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    return [i for i, t in enumerate(text.splitlines(), start=1) if needle in t][nth - 1]


@pytest.mark.parametrize("value", ["nan", "NaN", ".nan", "inf", "-inf", ".inf", "1e400", "0", "0.0", "-1", "lots"])
def test_multiply_must_be_a_finite_positive_number(tmp_path: Path, value: str) -> None:
    text = EXAMPLE.replace("multiply: 1000000", f"multiply: {value}")
    line = _line_of(text, f"multiply: {value}")
    with pytest.raises(ProfileError) as err:
        load_profile(_write(tmp_path, text))
    assert str(err.value) == (f"{tmp_path / 'maven.yml'}:{line}: column 'annual_revenue': multiply must be a finite "
                              f"positive number, not '{value}'")


def test_a_valid_multiply_still_loads(tmp_path: Path) -> None:
    profile = load_profile(_write(tmp_path, EXAMPLE.replace("multiply: 1000000", "multiply: 0.001")))
    accounts = next(m for m in profile.modules if m.canonical == "accounts")
    assert next(c for c in accounts.columns if c.name == "annual_revenue").multiply == 0.001


def test_duplicate_stage_key_names_the_second_line(tmp_path: Path) -> None:
    text = EXAMPLE.replace("  Lost: {lost: true, probability: 0}",
                           "  Lost: {lost: true, probability: 0}\n  Engaging: {stage: proposal}")
    first, second = _line_of(text, "  Engaging:"), _line_of(text, "  Engaging:", 2)
    with pytest.raises(ProfileError) as err:
        load_profile(_write(tmp_path, text))
    path = tmp_path / "maven.yml"
    assert str(err.value) == f"{path}:{second}: duplicate key 'Engaging' (first given on line {first})"


def test_duplicate_column_name_names_the_second_line(tmp_path: Path) -> None:
    employees = "      employees: [employees]\n"
    text = EXAMPLE.replace(employees, employees + "      industry: [sector2]\n")
    first, second = _line_of(text, "industry: [sector]"), _line_of(text, "industry: [sector2]")
    with pytest.raises(ProfileError, match=rf"maven.yml:{second}: duplicate key 'industry' \(first given on line "
                                           rf"{first}\)$"):
        load_profile(_write(tmp_path, text))


def test_duplicate_key_in_a_flow_mapping(tmp_path: Path) -> None:
    text = EXAMPLE.replace("{headers: [revenue], multiply: 1000000}", "{headers: [revenue], headers: [x]}")
    line = _line_of(text, "headers: [x]")
    with pytest.raises(ProfileError, match=rf"maven.yml:{line}: duplicate key 'headers'"):
        load_profile(_write(tmp_path, text))


def test_non_utf8_profile_names_line_byte_and_offset(tmp_path: Path) -> None:
    data = EXAMPLE.encode("utf-8").replace(b"Maven's four", b"Maven\xe9s four")
    offset = data.index(b"\xe9")
    line = data[:offset].count(b"\n") + 1
    assert line == _line_of(EXAMPLE, "Maven's four")
    with pytest.raises(ProfileError) as err:
        load_profile(_write(tmp_path, data))
    assert str(err.value) == f"{tmp_path / 'maven.yml'}:{line}: not UTF-8 (byte 0xe9 at offset {offset})"


def test_gbk_profile_is_not_utf8(tmp_path: Path) -> None:
    data = "name: maven\ndescription: 销售\n".encode("gbk")
    with pytest.raises(ProfileError, match=r"maven.yml:2: not UTF-8 \(byte 0xcf at offset 25\)$"):
        load_profile(_write(tmp_path, data))


def test_100000_nested_brackets_are_a_profile_error_not_a_recursion_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: maven\nmodules: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert sys.getrecursionlimit() < 100_000  # composing this would recurse past the limit
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert str(err.value) == f"{path}:2: nested deeper than {MAX_DEPTH} levels"


def test_deep_block_nesting_names_the_line_where_it_gets_too_deep(tmp_path: Path) -> None:
    lines = ["name: maven", "modules:"] + ["  " * (i + 1) + f"k{i}:" for i in range(200)]
    path = _write(tmp_path, "\n".join(lines) + "\n")
    # the top mapping is level 1 and the mapping holding k{i} level i + 2, so level MAX_DEPTH + 1 starts at
    # k{MAX_DEPTH - 1}
    line = lines.index("  " * MAX_DEPTH + f"k{MAX_DEPTH - 1}:") + 1
    with pytest.raises(ProfileError, match=rf"maven.yml:{line}: nested deeper than {MAX_DEPTH} levels$"):
        load_profile(path)


def test_nesting_up_to_the_limit_is_not_refused(tmp_path: Path) -> None:
    shallow = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)  # plus the top mapping: exactly MAX_DEPTH levels
    with pytest.raises(ProfileError, match=r"maven.yml:1: no modules$"):
        load_profile(_write(tmp_path, f"{{name: maven, modules: {{}}, description: {shallow}}}\n"))


def test_control_character_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"maven.yml:3: not valid YAML: character #x0000 is not allowed$"):
        load_profile(_write(tmp_path, "name: maven\n# comment\ndescription: a\x00b\n"))


def test_apostrophe_in_a_profile_name_is_legal(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    _write(tmp_path / "profiles", EXAMPLE.replace("name: maven", "name: \"o'brien\""), name="o'brien")
    profiles = load_profiles(tmp_path / "profiles")
    assert profiles["o'brien"].name == "o'brien"
    assert {"zoho", "fxiaoke", "reference"} < set(profiles)  # the built-in profiles pass the new checks


def test_validate_profile_exits_2_with_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: maven\nmodules: " + "[" * 100_000 + "\n")
    result = run_salestier(tmp_path / "home", "validate-profile", str(path), timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert f"{path}:2: nested deeper than {MAX_DEPTH} levels" in out
    assert "Traceback" not in out and "RecursionError" not in out


def test_every_mistake_of_a_profile_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "acme.yml"
    path.write_text(
        "name: acme\n"
        "modules:\n"
        "  opportunities:\n"
        "    columns:\n"
        "      source_record_id: [id]\n"
        "      bogus: [x]\n"
        "  calls:\n"
        "    canonical: activities\n"
        "    columns:\n"
        "      source_record_id: [id]\n"
        "      occurred_at: {headers: [when], unit: seconds}\n"
        "stages:\n"
        "  Won: {stage: closed_wonn}\n", encoding="utf-8")
    with pytest.raises(ProfileError) as failure:
        load_profile(path)
    lines = str(failure.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [f"{path}:6", f"{path}:11", f"{path}:13"]
    assert "unit applies to duration columns only" in lines[1] and "closed_wonn" in lines[2]


@pytest.mark.parametrize(("option", "message"), [
    ("format: 'HH:mm'", "format applies to date columns only"),
    ("unit: days", "unit must be one of seconds, minutes, hours"),
    ("on_error: skip", "on_error must be one of quarantine, null"),
    ("decimal: ';'", "decimal must be one of ., ,"),
])
def test_column_options_are_checked(tmp_path: Path, option: str, message: str) -> None:
    path = tmp_path / "acme.yml"
    path.write_text("name: acme\nmodules:\n  opportunities:\n    columns:\n      source_record_id: [id]\n"
                    f"      name: {{headers: [n], {option}}}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=f"acme.yml:6: column 'name': {message}"):
        load_profile(path)
