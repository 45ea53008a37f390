"""The compiled templates a dbt process keeps (workflow/scripts/dbt_template_cache.py) are the code
jinja compiles: on small cases, and on every compilation of a real foundation and two years."""
from __future__ import annotations

import pytest
from dbt_common.clients.jinja import MacroFuzzEnvironment, get_template

import dbt_runner
import dbt_template_cache
from conftest import build_in_process

dbt_runner.import_dbt()  # installs the cache


def test_a_source_compiles_once_in_a_build_and_renders_each_context():
    source = "select {{ x }} as x, {{ 'a' | upper }} as a -- test_dbt_template_cache"
    before = len(dbt_template_cache._compiled)
    outside = get_template(source, {"x": 1})  # a parse's compilations are not kept
    assert len(dbt_template_cache._compiled) == before
    with dbt_template_cache.kept():
        first, second = get_template(source, {"x": 1}), get_template(source, {"x": 2})
        assert len(dbt_template_cache._compiled) == before + 1
        assert first.root_render_func.__code__ is second.root_render_func.__code__
        assert outside.root_render_func.__code__ is not first.root_render_func.__code__
        assert (first.render({"x": 5}), second.render({"x": 7})) == (
            "select 5 as x, A as a -- test_dbt_template_cache", "select 7 as x, A as a -- test_dbt_template_cache")
        # dbt's native environment (other filters, another class) compiles its own
        assert get_template(source, {"x": 3}, native=True).render({"x": 3}) == first.render({"x": 3})
        assert len(dbt_template_cache._compiled) == before + 2
        # a parsed template is jinja's to compile
        environment = MacroFuzzEnvironment()
        assert environment.compile(environment.parse("{{ 1 }}")) == environment.compile("{{ 1 }}")
        assert len(dbt_template_cache._compiled) == before + 3


@pytest.mark.slow
def test_every_compilation_of_a_real_build_gives_the_code_jinja_gives(tmp_path, monkeypatch):
    compiled, reused = [], []

    def checked(environment, source, *args):
        known = dbt_template_cache._keeping and \
            dbt_template_cache.key(environment, source, *args) in dbt_template_cache._compiled
        code = dbt_template_cache.compile(environment, source, *args)
        compiled.append((source, code == dbt_template_cache._original(environment, source, *args)))
        reused.extend([source] if known else [])
        return code

    monkeypatch.setattr(MacroFuzzEnvironment, "compile", checked)
    build_in_process(tmp_path, years=(2025, 2026))
    assert len(compiled) > 100 and all(same for _, same in compiled), \
        [source[:200] for source, same in compiled if not same]
    # the second year compiles the first year's sources again: all kept
    assert len(reused) > 40, len(reused)
