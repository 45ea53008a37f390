{#
  The one source of randomness: u(seed, stream, key, year) in [0, 1).
  A pure function of its arguments (md5 of the joined key, first 52 bits), so
  results never depend on row order, threads or the engine's own hash.
#}
{% macro sim_random(stream, key, year) -%}
(cast('0x' || substr(md5(concat_ws('|', {{ sql_string(var("random_seed")) }}, {{ sql_string(stream) }}, cast({{ key }} as varchar), cast({{ year }} as varchar))), 1, 13) as bigint) / 4503599627370496.0)
{%- endmacro %}

{# Efraimidis-Spirakis key: the k largest keys are a weighted sample without replacement. #}
{% macro weighted_sample_key(stream, key, weight, year) -%}
(ln(greatest({{ sim_random(stream, key, year) }}, 1e-18)) / greatest({{ weight }}, 1e-12))
{%- endmacro %}
