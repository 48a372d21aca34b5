"""Load and validate source-profile YAML files.

A profile is data, not code: a user adds a CRM by writing one YAML file. So
every mistake in it must be reported with the file and line it is on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.reader import ReaderError

from salestier_pipeline.schema import ALL_MODULES, canonical, column_rules, module_columns

BUILTIN_DIR = Path(__file__).resolve().parent
BUILTIN_PROFILES = ("zoho", "fxiaoke", "reference")
MAPPABLE_LINEAGE = ("source_record_id", "modified_at")
DATE_ORDERS = ("MDY", "DMY", "YMD")
DURATION_UNITS = ("seconds", "minutes", "hours")
ON_ERROR = ("quarantine", "null")
DECIMALS = (".", ",")
# Deeper YAML nesting than any profile needs; checked before composing, whose recursion would otherwise
# end in a RecursionError on a hostile file (e.g. 100,000 '[').
MAX_DEPTH = 64


class ProfileError(ValueError):
    """A profile file that cannot be used, with the place of the mistake."""


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column and the export headers that may carry it."""

    name: str
    headers: tuple[str, ...]
    required: bool = False
    multiply: float | None = None  # unit conversion, e.g. revenue given in millions
    formats: tuple[str, ...] = ()  # pinned date formats, 'dd-MM-yyyy HH:mm' notation
    unit: str | None = None  # durations: seconds | minutes | hours (default: from the header, else minutes)
    on_error: str | None = None  # quarantine | null (default: quarantine for critical columns, else null)
    decimal: str | None = None  # numbers: '.' or ',' (default: settled from the column's values)


@dataclass(frozen=True)
class ModuleSpec:
    """One kind of export file of a CRM (e.g. Zoho 'calls') and the module it feeds."""

    key: str
    canonical: str
    columns: tuple[ColumnSpec, ...]
    natural_key: tuple[str, ...] = ()
    constants: dict[str, str] = field(default_factory=dict)
    label: str = ""

    @property
    def required(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.required)


@dataclass(frozen=True)
class MapRule:
    """One raw picklist value of a profile and what it means canonically."""

    raw: str
    stage: str | None = None
    is_won: bool = False
    is_lost: bool = False
    is_void: bool = False
    probability: float | None = None
    activity_type: str | None = None


@dataclass(frozen=True)
class Profile:
    """A parsed source profile."""

    name: str
    modules: tuple[ModuleSpec, ...]
    date_order: str = "YMD"
    default_currency: str | None = None
    description: str = ""
    path: str = ""
    stages: tuple[MapRule, ...] = ()
    statuses: tuple[MapRule, ...] = ()
    activity_types: tuple[MapRule, ...] = ()
    date_formats: tuple[str, ...] = ()  # pinned date formats for every date column of the profile


def _fail(path: Path, node: yaml.Node | None, message: str) -> ProfileError:
    line = f":{node.start_mark.line + 1}" if node is not None else ""
    return ProfileError(f"{path}{line}: {message}")


def _mapping_items(node: yaml.Node) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _scalar_list(path: Path, node: yaml.Node, what: str) -> tuple[str, ...]:
    if not isinstance(node, yaml.SequenceNode) or not all(
        isinstance(n, yaml.ScalarNode) and n.value.strip() for n in node.value
    ):
        raise _fail(path, node, f"{what} must be a list of non-empty strings")
    return tuple(str(n.value) for n in node.value)


def _column(path: Path, module: str, name_node: yaml.ScalarNode, node: yaml.Node) -> ColumnSpec:
    name = name_node.value
    allowed = set(module_columns(module)) | set(MAPPABLE_LINEAGE)
    if name not in allowed:
        raise _fail(
            path,
            name_node,
            f"unknown column '{name}' for module '{module}' (allowed: {', '.join(sorted(allowed))})",
        )
    if isinstance(node, yaml.SequenceNode):
        return ColumnSpec(name, _scalar_list(path, node, f"headers of '{name}'"))
    if isinstance(node, yaml.MappingNode):
        opts = {k.value: v for k, v in _mapping_items(node)}
        unknown = set(opts) - {"headers", "required", "multiply", "format", "unit", "on_error", "decimal"}
        if unknown:
            raise _fail(path, node, f"column '{name}': unknown key(s) {sorted(unknown)}")
        if "headers" not in opts:
            raise _fail(path, node, f"column '{name}' needs 'headers'")
        required = opts.get("required")
        req = required is not None and str(required.value).lower() == "true"
        if required is not None and str(required.value).lower() not in ("true", "false"):
            raise _fail(path, required, f"column '{name}': required must be true or false")
        multiply = None
        if "multiply" in opts:
            try:
                multiply = float(opts["multiply"].value)
            except (TypeError, ValueError):
                multiply = math.nan
            if not math.isfinite(multiply) or multiply <= 0:  # nan would publish NULL amounts, 0 / -1 wrong ones
                raise _fail(path, opts["multiply"], f"column '{name}': multiply must be a finite positive number, "
                            f"not '{opts['multiply'].value}'")
            if module_columns(module).get(name) not in ("DOUBLE", "BIGINT"):
                raise _fail(path, opts["multiply"], f"column '{name}': multiply applies to numeric columns only")
        kind = module_columns(module).get(name)
        formats: tuple[str, ...] = ()
        if "format" in opts:
            if kind not in ("DATE", "TIMESTAMP"):
                raise _fail(path, opts["format"], f"column '{name}': format applies to date columns only")
            formats = _formats(path, opts["format"], f"format of '{name}'")
        unit = _choice(path, opts.get("unit"), f"column '{name}': unit", DURATION_UNITS)
        if unit is not None and name not in column_rules()["durations"]:
            raise _fail(path, opts["unit"], f"column '{name}': unit applies to duration columns only")
        on_error = _choice(path, opts.get("on_error"), f"column '{name}': on_error", ON_ERROR)
        decimal = _choice(path, opts.get("decimal"), f"column '{name}': decimal", DECIMALS)
        if decimal is not None and kind not in ("DOUBLE", "BIGINT"):
            raise _fail(path, opts["decimal"], f"column '{name}': decimal applies to numeric columns only")
        return ColumnSpec(name, _scalar_list(path, opts["headers"], f"headers of '{name}'"), req, multiply,
                          formats, unit, on_error, decimal)
    raise _fail(path, node, f"column '{name}' must be a list of headers or {{headers, required, ...}}")


def _choice(path: Path, node: yaml.Node | None, what: str, allowed: tuple[str, ...]) -> str | None:
    if node is None:
        return None
    if not isinstance(node, yaml.ScalarNode) or node.value not in allowed:
        raise _fail(path, node, f"{what} must be one of {', '.join(allowed)}")
    return node.value


def _formats(path: Path, node: yaml.Node, what: str) -> tuple[str, ...]:
    """One pattern or a list, in the `dd-MM-yyyy HH:mm` notation (ingest/dates.py)."""
    patterns = (node.value,) if isinstance(node, yaml.ScalarNode) else _scalar_list(path, node, what)
    for pattern in patterns:
        if not re.search(r"yy|M|d", pattern.split("'")[0] + "".join(pattern.split("'")[2::2])):
            raise _fail(path, node, f"{what}: '{pattern}' has no date field (use yyyy, MM, dd, HH, mm, ss ...)")
    return patterns


def _module(path: Path, key_node: yaml.ScalarNode, node: yaml.Node) -> ModuleSpec:
    opts = {k.value: (k, v) for k, v in _mapping_items(node)}
    if not isinstance(node, yaml.MappingNode):
        raise _fail(path, node, f"module '{key_node.value}' must be a mapping")
    unknown = set(opts) - {"canonical", "columns", "natural_key", "constants", "label"}
    if unknown:
        raise _fail(path, node, f"module '{key_node.value}': unknown key(s) {sorted(unknown)}")
    canonical = opts["canonical"][1].value if "canonical" in opts else key_node.value
    if canonical not in ALL_MODULES:
        where = opts["canonical"][1] if "canonical" in opts else key_node
        raise _fail(
            path,
            where,
            f"'{canonical}' is not a canonical module (one of: {', '.join(ALL_MODULES)})",
        )
    if "columns" not in opts:
        raise _fail(path, node, f"module '{key_node.value}' needs 'columns'")
    columns = tuple(_column(path, canonical, k, v) for k, v in _mapping_items(opts["columns"][1]))
    natural_key: tuple[str, ...] = ()
    if "natural_key" in opts:
        natural_key = _scalar_list(path, opts["natural_key"][1], "natural_key")
        names = {c.name for c in columns}
        for col in natural_key:
            if col not in names:
                raise _fail(path, opts["natural_key"][1], f"natural_key column '{col}' is not mapped")
    elif "source_record_id" not in {c.name for c in columns}:
        raise _fail(path, node, f"module '{key_node.value}' maps no source_record_id and has no natural_key")
    constants = {k.value: str(v.value) for k, v in _mapping_items(opts["constants"][1])} if "constants" in opts else {}
    for col in constants:
        if col not in module_columns(canonical):
            raise _fail(path, opts["constants"][1], f"constant for unknown column '{col}'")
    label = opts["label"][1].value if "label" in opts else ""
    return ModuleSpec(key_node.value, canonical, columns, natural_key, constants, label)


def _flag(path: Path, node: yaml.Node, what: str) -> bool:
    value = str(node.value).lower()
    if value not in ("true", "false"):
        raise _fail(path, node, f"{what} must be true or false")
    return value == "true"


def _stage_rules(path: Path, node: yaml.Node, section: str) -> tuple[MapRule, ...]:
    """`stages:` / `statuses:` — raw value: {stage, won, lost, void, probability}."""
    rules = []
    allowed = {"stage", "won", "lost", "void", "probability"} if section == "stages" else {"won", "lost", "void"}
    for key, value in _mapping_items(node):
        opts = {k.value: v for k, v in _mapping_items(value)}
        if not isinstance(value, yaml.MappingNode) and not (isinstance(value, yaml.ScalarNode) and not value.value):
            raise _fail(path, value, f"{section}: '{key.value}' must map to {{{', '.join(sorted(allowed))}}}")
        unknown = set(opts) - allowed
        if unknown:
            raise _fail(path, value, f"{section}: '{key.value}' has unknown key(s) {sorted(unknown)}")
        stage = opts["stage"].value if "stage" in opts else None
        if stage is not None and stage not in canonical()["stages"]:
            raise _fail(path, opts["stage"], f"stage '{stage}' is not one of {', '.join(canonical()['stages'])}")
        probability = None
        if "probability" in opts:
            try:
                probability = float(opts["probability"].value)
            except ValueError:
                raise _fail(path, opts["probability"], "probability must be a number 0-100") from None
            if not 0 <= probability <= 100:
                raise _fail(path, opts["probability"], "probability must be a number 0-100")
        won = _flag(path, opts["won"], "won") if "won" in opts else False
        lost = _flag(path, opts["lost"], "lost") if "lost" in opts else False
        void = _flag(path, opts["void"], "void") if "void" in opts else False
        if section == "stages" and stage is None and not lost:
            raise _fail(path, value, f"stages: '{key.value}' needs a stage (or lost: true)")
        rules.append(MapRule(str(key.value), stage, won, lost, void, probability))
    return tuple(rules)


def _activity_rules(path: Path, node: yaml.Node) -> tuple[MapRule, ...]:
    """`activity_types:` — raw value: canonical activity type."""
    rules = []
    for key, value in _mapping_items(node):
        if value.value not in canonical()["activity_types"]:
            raise _fail(path, value, f"activity type '{value.value}' is not one of "
                        f"{', '.join(canonical()['activity_types'])}")
        rules.append(MapRule(str(key.value), activity_type=value.value))
    return tuple(rules)


def _read_text(path: Path) -> str:
    """The file as text; bytes that are not UTF-8 are named with their line and offset."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the profile: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ProfileError(f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def _check_depth(path: Path, text: str, limit: int = MAX_DEPTH) -> None:
    """Refuse nesting deeper than `limit`, counted over the parser's events (PyYAML parses iteratively;
    only composing recurses), stopping at the first event too deep."""
    depth = 0
    for event in yaml.parse(text):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > limit:
                raise ProfileError(f"{path}:{event.start_mark.line + 1}: nested deeper than {limit} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_duplicate_keys(path: Path, root: yaml.Node) -> None:
    """A key given twice in one mapping (two stages, two columns) is a mistake, not a silent override."""
    stack, seen_nodes = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:  # an alias points at a node already checked
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in first:
                        raise _fail(path, key, f"duplicate key '{key.value}' (first given on line {first[key.value]})")
                    first[key.value] = key.start_mark.line + 1
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _compose(path: Path) -> yaml.Node | None:
    """The YAML node tree of a profile file, or ProfileError with file:line for any reason it has none."""
    text = _read_text(path)
    try:
        _check_depth(path, text)
        root = yaml.compose(text)
    except ReaderError as exc:  # a control character: it has a position, not a mark
        line = text.count("\n", 0, exc.position) + 1
        raise ProfileError(f"{path}:{line}: not valid YAML: character #x{exc.character:04x} is not allowed") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ProfileError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if root is not None:
        _check_duplicate_keys(path, root)
    return root


def load_profile(path: Path) -> Profile:
    """Parse and validate one profile file; raise ProfileError naming file and line."""
    path = Path(path)
    root = _compose(path)
    if not isinstance(root, yaml.MappingNode):
        raise _fail(path, root, "a profile must be a mapping with 'name' and 'modules'")
    top = {k.value: (k, v) for k, v in _mapping_items(root)}
    unknown = set(top) - {"name", "description", "date_order", "default_currency", "modules",
                          "stages", "statuses", "activity_types", "date_formats"}
    if unknown:
        raise _fail(path, root, f"unknown top-level key(s) {sorted(unknown)}")
    for key in ("name", "modules"):
        if key not in top:
            raise _fail(path, root, f"missing '{key}'")
    name = top["name"][1].value
    if name != path.stem:
        raise _fail(path, top["name"][1], f"name '{name}' must match the file name '{path.stem}'")
    date_order = top["date_order"][1].value if "date_order" in top else "YMD"
    if date_order not in DATE_ORDERS:
        raise _fail(path, top["date_order"][1], f"date_order must be one of {DATE_ORDERS}")
    currency_node = top.get("default_currency", (None, None))[1]
    currency = None
    if currency_node is not None and currency_node.value not in ("", "null", "~"):
        currency = currency_node.value
    # every module and section is checked, so one run of validate-profile lists every mistake
    errors: list[str] = []

    def collect(build, *args):
        try:
            return build(*args)
        except ProfileError as exc:
            errors.append(str(exc))
            return None

    modules = tuple(m for m in (collect(_module, path, k, v) for k, v in _mapping_items(top["modules"][1])) if m)
    if not _mapping_items(top["modules"][1]):
        errors.append(str(_fail(path, top["modules"][1], "no modules")))
    description = top["description"][1].value if "description" in top else ""
    stages = (collect(_stage_rules, path, top["stages"][1], "stages") or ()) if "stages" in top else ()
    statuses = (collect(_stage_rules, path, top["statuses"][1], "statuses") or ()) if "statuses" in top else ()
    activity_types = (collect(_activity_rules, path, top["activity_types"][1]) or ()) \
        if "activity_types" in top else ()
    date_formats = (collect(_formats, path, top["date_formats"][1], "date_formats") or ()) \
        if "date_formats" in top else ()
    if errors:
        raise ProfileError("\n".join(errors))
    return Profile(name, modules, date_order, currency, description, str(path), stages, statuses, activity_types,
                   date_formats)


def load_profiles(user_dir: Path | None = None) -> dict[str, Profile]:
    """Built-in profiles, then user profiles from <home>/profiles (a user file wins)."""
    files = {name: BUILTIN_DIR / f"{name}.yml" for name in BUILTIN_PROFILES}
    if user_dir is not None and Path(user_dir).is_dir():
        files.update({p.stem: p for p in sorted(Path(user_dir).glob("*.yml"))})
    return {name: load_profile(p) for name, p in files.items()}

