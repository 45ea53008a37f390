"""Which scenarios of a run can share one workforce per seed.

The workforce models (dbt/models/intermediate/workforce/) decide who is employed, when
they leave, what they are paid and their level; nothing in them reads the plan design.
Two scenarios whose dbt vars agree on every var those models read (and the macros they
call) therefore build the same workforce year by year, draw for draw: the later one in
the run's order reads the first one's (int_workforce_of_year says how), and runs only
the plan models on top. The var list is read from the SQL itself, so a new workforce
rule that reads a new key is covered without a list to keep.
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path

DBT = Path(__file__).resolve().parents[3] / "dbt"
WORKFORCE_MODELS = DBT / "models" / "intermediate" / "workforce"
# the switch itself, set by the workflow for a scenario that reads another's workforce
SHARED_VAR = "workforce_shared"
# what a year hands to the scenarios sharing its workforce: file name in years/<year>/workforce/
# -> (the table the year builds, the sim_input source a sharing scenario reads it from)
SHARED_TABLES = {
    "employees.parquet": ("int_workforce_of_year", "shared_workforce"),
    "compensation_changes.parquet": ("int_compensation_changes", "shared_compensation_changes"),
    "needs.parquet": ("int_workforce_needs", "shared_workforce_needs"),
}

_VAR = re.compile(r"""var\(\s*['"](\w+)['"]""")
_MACRO = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(.*?\{%-?\s*endmacro\s*-?%\}", re.DOTALL)


@functools.cache
def workforce_var_names(dbt_dir: Path = DBT) -> frozenset[str]:
    """Every dbt var the workforce models read, directly or through the macros they call."""
    macros = {match.group(1): match.group(0)
              for path in sorted((dbt_dir / "macros").rglob("*.sql"))
              for match in _MACRO.finditer(path.read_text())}
    texts = [path.read_text() for path in sorted((dbt_dir / "models" / "intermediate" / "workforce").glob("*.sql"))]
    names: set[str] = set()
    called: set[str] = set()
    while texts:
        text = texts.pop()
        names.update(_VAR.findall(text))
        for macro, body in macros.items():
            if macro not in called and re.search(rf"\b{macro}\s*\(", text):
                called.add(macro)
                texts.append(body)
    return frozenset(names - {SHARED_VAR})


def workforce_key(dbt_vars: dict) -> str:
    """The values of the workforce vars: equal keys, equal workforce."""
    names = workforce_var_names()
    return json.dumps({name: dbt_vars.get(name) for name in sorted(names)}, sort_keys=True)


def workforce_sources(dbt_vars_by_scenario: dict[str, dict]) -> dict[str, str]:
    """scenario -> the scenario whose workforce it uses: the first one, in the given order,
    with the same workforce key (itself when none comes before it)."""
    first: dict[str, str] = {}
    return {scenario: first.setdefault(workforce_key(dbt_vars), scenario)
            for scenario, dbt_vars in dbt_vars_by_scenario.items()}
