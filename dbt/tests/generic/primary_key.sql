{#- A primary key in one query: no two rows share the key columns, and none of them is null. -#}
{% test primary_key(model, column_name=none, columns=none) %}
{%- set key = columns or [column_name] %}
select {{ key | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ key | join(', ') }}
having count(*) > 1 or {{ key | join(' is null or ') }} is null
{% endtest %}
