{#
  A view of the year's build, replaced in one statement. dbt's `view` materialization
  creates <name>__dbt_tmp, renames the old view to a backup, renames the new one and
  drops the backup, and only when the view exists already: so a run's first year ran
  other statements than the later ones, and the SQL of a year could not be replayed for
  the next (workflow/scripts/year_replay.py). The contract check is dbt's own, as in
  dbt-duckdb's create_view_as.
#}
{% materialization replaced_view, adapter='duckdb' %}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set existing_relation = load_cached_relation(this) -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if existing_relation is not none and existing_relation.type != 'view' %}
    {{ adapter.drop_relation(existing_relation) }}
  {% endif %}

  {% call statement('main') -%}
    {%- if config.get('contract').enforced %}{{ get_assert_columns_equivalent(sql) }}{% endif %}
    create or replace view {{ target_relation }} as ({{ sql }})
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do adapter.commit() %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
