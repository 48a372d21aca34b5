"""What a `column_rules` dbt test checks, in words (dbt_project/tests/generic/column_rules.sql).

One column_rules test holds every blocking rule of a model (issue 14), so its Dagster check description
and the published-tables page list the rules from the test's arguments (the manifest's kwargs, unrendered).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

AS_OF_MACRO = re.compile(r"\{\{\s*as_of\(\)\s*\}\}")
REF = re.compile(r"""^\s*(?:\{\{\s*)?ref\(\s*['"]([^'"]+)['"]\s*\)(?:\s*\}\})?\s*$""")


def sql_text(sql: Any) -> str:
    """A filter or bound as people read it: one line, the as-of macro named."""
    return AS_OF_MACRO.sub("the as-of date", " ".join(str(sql).split()))


def ref_name(to: Any) -> str:
    """The model a relationship points to: ref('int_reps') -> int_reps (anything else as written)."""
    match = REF.match(str(to))
    return match.group(1) if match else sql_text(to)


def range_text(bounds: Mapping[str, Any]) -> str:
    """'0-1', '>= 0', '< 100' from accepted_range bounds (inclusive unless `inclusive: false`)."""
    low, high = bounds.get("min_value"), bounds.get("max_value")
    inclusive = bounds.get("inclusive", True)
    if low is not None and high is not None:
        return f"{low}-{high}" if inclusive else f"between {low} and {high} (exclusive)"
    if low is not None:
        return f"{'>=' if inclusive else '>'} {low}"
    return f"{'<=' if inclusive else '<'} {high}"


def relationship_text(rel: Mapping[str, Any]) -> str:
    """'in int_reps.rep_id' (plus the rule's own row condition)."""
    text = f"in {ref_name(rel.get('to'))}.{rel.get('field')}"
    return text + (f" where {sql_text(rel['where'])}" if rel.get("where") else "")


def rules_summary(kwargs: Mapping[str, Any]) -> str:
    """'not_null(a, b); unique(a); accepted_values(tier: A/B/C/D); ...': the rule kinds and their columns."""
    parts = []
    for kind in ("not_null", "unique"):
        if kwargs.get(kind):
            parts.append(f"{kind}({', '.join(kwargs[kind])})")
    if kwargs.get("unique_combinations"):
        parts.append(f"unique_combination({', '.join(' + '.join(c) for c in kwargs['unique_combinations'])})")
    if kwargs.get("accepted_values"):
        values = ", ".join(f"{c}: {'/'.join(map(str, v))}" for c, v in kwargs["accepted_values"].items())
        parts.append(f"accepted_values({values})")
    if kwargs.get("accepted_range"):
        ranges = ", ".join(f"{c} {range_text(b)}" for c, b in kwargs["accepted_range"].items())
        parts.append(f"accepted_range({ranges})")
    if kwargs.get("relationships"):
        rels = ", ".join(f"{r.get('column')} {relationship_text(r)}" for r in kwargs["relationships"])
        parts.append(f"relationships({rels})")
    if kwargs.get("expressions"):
        parts.append(f"expressions({len(kwargs['expressions'])})")
    return "; ".join(parts)


def rules_by_column(kwargs: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each column's rules in words ('not null', 'A/B/C/D', '0-1', 'in int_reps.rep_id'), in rule order.

    Grains (unique_combinations) and row expressions belong to the table, not to one column: see grains()."""
    rules: dict[str, list[str]] = {}
    suffix = f" (where {sql_text(kwargs['row_filter'])})" if kwargs.get("row_filter") else ""

    def add(column: str, text: str) -> None:
        rules.setdefault(column, []).append(text + suffix)

    for c in kwargs.get("not_null") or []:
        add(c, "not null")
    for c in kwargs.get("unique") or []:
        add(c, "unique")
    for c, values in (kwargs.get("accepted_values") or {}).items():
        add(c, "/".join(map(str, values)))
    for c, bounds in (kwargs.get("accepted_range") or {}).items():
        add(c, range_text(bounds))
    for rel in kwargs.get("relationships") or []:
        add(rel["column"], relationship_text(rel))
    return rules


def grains(kwargs: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The column combinations the test holds unique."""
    return [tuple(c) for c in kwargs.get("unique_combinations") or []]
