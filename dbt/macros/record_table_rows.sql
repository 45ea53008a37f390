{#
  on-run-end of a year's build: the rows each table written by the build holds for the
  year, into sim_input.table_rows (simulate_year.py puts them in the year's summary, and
  `make bench` prints them beside each model's time). Ephemeral models have no rows of
  their own: they are inlined into the tables that read them.
#}
{% macro record_table_rows(results) %}
  {%- if execute -%}
    {%- set counts = [] -%}
    {%- set ns = namespace(year_build=false) -%}
    {%- for result in results if result.node.resource_type == 'model' and result.status == 'success' -%}
      {%- if 'year' in result.node.tags -%}{%- set ns.year_build = true -%}{%- endif -%}
      {%- set materialized = result.node.config.materialized -%}
      {%- if materialized in ('table', 'year_partition') -%}
        {%- set year_filter = "where simulation_year = (select simulation_year from " ~ source('sim_input', 'year_context') ~ ")"
              if materialized == 'year_partition' else "" -%}
        {%- do counts.append("select " ~ sql_string(result.node.name) ~ " as model, count(*) as row_count from " ~ result.node.relation_name ~ " " ~ year_filter) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- if ns.year_build and counts -%}
      create or replace table {{ source('sim_input', 'year_context').include(identifier=False) }}.table_rows as
      {{ counts | join('\nunion all\n') }}
    {%- endif -%}
  {%- endif -%}
{% endmacro %}
