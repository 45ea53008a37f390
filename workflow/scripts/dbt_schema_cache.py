"""The JSON schemas dbt validates its configs with, kept on disk from one process to the next.

dbt checks every project file, profile and node config against the JSON schema of its dataclass
(dbt_common's dbtClassMixin.json_schema), which mashumaro builds from the class's fields the first
time a process asks for it: 1.2 s of a process's first full parse (23 classes) and 0.3 s of a parse
from the saved parse (7 classes), paid again by every process that runs dbt (each job worker, each
cluster job). A schema is a function of the class's definition alone, that is of the installed
dbt packages, mashumaro and Python, so the schemas are kept in a file named by their versions; a
process builds (and adds to the file) only those it does not find there. Classes that another
process cannot find again by module and name (defined inside a function or in a script), and
schemas JSON would not give back as they are, are always built.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import sys
from pathlib import Path

# what a class's definition, and so its schema, comes from
PACKAGES = ("dbt-core", "dbt-common", "dbt-adapters", "dbt-duckdb", "dbt-semantic-interfaces", "mashumaro")

_file: Path | None = None
_schemas: dict[str, dict] = {}
_unsaved = False


def versions() -> str:
    """A digest of Python's version and the packages' versions."""
    named = [sys.version, *(f"{package}=={importlib.metadata.version(package)}" for package in PACKAGES)]
    return hashlib.sha256("\n".join(named).encode()).hexdigest()[:16]


def _name(cls) -> str | None:
    """module.qualname when that finds this very class again in another process, else None."""
    if cls.__module__ == "__main__":  # another process's __main__ is another script
        return None
    found = sys.modules.get(cls.__module__)
    for part in cls.__qualname__.split("."):
        found = getattr(found, part, None)
    return f"{cls.__module__}.{cls.__qualname__}" if found is cls else None


def install(directory: Path) -> None:
    """Have dbtClassMixin.json_schema take the schemas kept in directory (once per process)."""
    global _file
    if _file is not None:
        return
    from dbt_common.dataclass_schema import dbtClassMixin

    _file = directory / f"{versions()}.json"
    try:
        _schemas.update(json.loads(_file.read_text()))
    except (OSError, ValueError):  # none kept yet, or a file cut short: built again
        pass
    build = dbtClassMixin.__dict__["json_schema"].__func__.__wrapped__  # dbt's own, under its lru_cache

    @classmethod
    @functools.lru_cache
    def json_schema(cls):
        global _unsaved
        name = _name(cls)
        if name in _schemas:
            return _schemas[name]
        schema = build(cls)
        if name is not None and json.loads(json.dumps(schema)) == schema:  # what the file gives back
            _schemas[name] = schema
            _unsaved = True
        return schema

    dbtClassMixin.json_schema = json_schema


def save() -> None:
    """Write the schemas built since the last save; drop the files of other versions. A read-only
    checkout keeps building them."""
    global _unsaved
    if _file is None or not _unsaved:
        return
    try:
        _file.parent.mkdir(parents=True, exist_ok=True)
        for stale in _file.parent.glob("*.json"):
            if stale != _file:
                stale.unlink(missing_ok=True)
        tmp = _file.with_name(f"{_file.name}.{os.getpid()}.tmp")  # processes save side by side
        tmp.write_text(json.dumps(_schemas, sort_keys=True))
        tmp.replace(_file)
        _unsaved = False
    except OSError:
        pass
