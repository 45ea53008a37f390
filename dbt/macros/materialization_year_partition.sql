{#
  A model that holds every simulated year, (re)built one year at a time.

  Each build writes the current year's rows as their own table,
  year_partitions.<model>_<year> (created or replaced, so re-running a year replaces
  its rows), and the model itself is a view over all of its year tables. Writing a
  year as a new table is about half the cost of appending it to one multi-year table:
  DuckDB writes a new table's row groups compressed as it goes, while an append first
  refills the table's last, partly full row group, which the next checkpoint then
  rewrites (~0.25 s per model and year at 100,000 employees).
#}
{#- The schema of the year tables: created once, before any model, by on-run-start (dbt_project.yml).
    Created here, two models built at once (dbt_threads above 1) would collide creating it. -#}
{% macro year_partition_schema() %}{{ return('year_partitions') }}{% endmacro %}

{% materialization year_partition, adapter='duckdb' %}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set partition_schema = year_partition_schema() -%}

  {%- set year_query -%}
    select simulation_year from {{ source('sim_input', 'year_context') }}
  {%- endset -%}
  {%- set years = run_query(year_query).columns[0].values() -%}
  {%- if years | length != 1 or years[0] is none -%}
    {{ exceptions.raise_compiler_error(
        "year_partition model " ~ this.identifier ~ ": sim_input.year_context must hold exactly one year") }}
  {%- endif -%}
  {%- set partition = api.Relation.create(
        database=this.database, schema=partition_schema,
        identifier=this.identifier ~ '_' ~ years[0], type='table') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if existing_relation is not none and existing_relation.type != 'view' %}
    {{ adapter.drop_relation(existing_relation) }}
  {% endif %}

  {% call statement('main') -%}
    create or replace table {{ partition }} as ({{ sql }})
  {%- endcall %}

  {%- set partitions_query -%}
    select table_name from duckdb_tables()
    where database_name = {{ sql_string(this.database) }} and schema_name = {{ sql_string(partition_schema) }}
      and regexp_full_match(table_name, {{ sql_string(this.identifier ~ '_[0-9]+') }})
    order by table_name
  {%- endset -%}
  {%- set partitions = run_query(partitions_query).columns[0].values() -%}
  {% call statement('union_view') -%}
    {#- schema-qualified only: the view keeps working when the file is attached under another name #}
    create or replace view {{ target_relation }} as
    {% for table_name in partitions -%}
      select * from "{{ partition_schema }}"."{{ table_name }}"
      {% if not loop.last %}union all by name{% endif %}
    {% endfor %}
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do adapter.commit() %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
