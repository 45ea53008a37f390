{#
  A seed of workforce assumptions, or the scenario's own rows for it (config seed_tables,
  written by `make fit`): a typed VALUES list in place of the seed table. The ref() is
  always taken so the model keeps its dependency on the seed.
#}
{% macro seed_table(name) -%}
{%- set seed_relation = ref(name) -%}
{%- set table = var('seed_tables', {}).get(name) -%}
{%- if table -%}
(select * from (values
    {%- for row in table['rows'] %}
    ({% for value in row %}cast({{ sql_string(value) if table['types'][loop.index0] == 'varchar' else value }} as {{ table['types'][loop.index0] }}){{ ", " if not loop.last }}{% endfor %}){{ "," if not loop.last }}
    {%- endfor %}
) as {{ name }}({{ table['columns'] | join(', ') }}))
{%- else -%}
{{ seed_relation }}
{%- endif -%}
{%- endmacro %}
