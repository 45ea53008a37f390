-- The workforce handed over by the previous year (years/<Y-1>/state.parquet, or the
-- census baseline): its contract (stg_prev_state.yml) is the one list of the state a
-- year hands to the next; int_baseline_workforce and fct_year_end_state produce it.
{{ config(materialized='replaced_view') }}  {#- see macros/materialization_replaced_view.sql #}

select * from {{ source('sim_input', 'prev_state') }}
