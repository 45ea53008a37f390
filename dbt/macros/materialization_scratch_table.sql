{#
  A table of one year's build in `scratch`, the in-memory database attached by
  profiles.yml: read only by the models built after it in the same build, and gone
  when the build's connection closes. So it is written once, under its own name, in a
  single statement. dbt-duckdb's `table` materialization also builds under a temporary
  name, renames, checks foreign keys, grants and docs: eight more statements and macro
  calls a node, about 20 ms each time, for nothing a scratch table needs.
#}
{% materialization scratch_table, adapter='duckdb' %}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- if target_relation.database != 'scratch' -%}
    {{ exceptions.raise_compiler_error(
        "scratch_table model " ~ this.identifier ~ " must be in database scratch, not " ~ target_relation.database) }}
  {%- endif -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    create or replace table {{ target_relation }} as ({{ sql }})
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do adapter.commit() %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
