{#
  A table that holds every simulated year and is (re)written one year at a time:
  the first build creates it; later builds delete the current year's rows and insert
  the model's rows directly. Unlike dbt's incremental materialization it writes the
  rows once (no temporary copy), which halves the cost of the large yearly tables.
#}
{% materialization year_partition, adapter='duckdb' %}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set existing_relation = load_cached_relation(this) -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if existing_relation is none %}
    {% call statement('main') -%}
      {{ create_table_as(False, target_relation, sql) }}
    {%- endcall %}
  {% else %}
    {% call statement('delete_year') -%}
      delete from {{ target_relation }}
      where simulation_year = (select simulation_year from {{ source('sim_input', 'year_context') }})
    {%- endcall %}
    {% call statement('main') -%}
      insert into {{ target_relation }} by name ({{ sql }})
    {%- endcall %}
  {% endif %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do adapter.commit() %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
