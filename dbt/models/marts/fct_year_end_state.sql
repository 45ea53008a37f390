-- The active workforce and the deferred vested accounts at Dec 31 of the year being built, in the shape the next year
-- starts from (staging model stg_prev_state and its contract read it back): a view
-- over this year's snapshot rows, exported to years/<year>/state.parquet.
{{ config(materialized='replaced_view') }}  {#- see macros/materialization_replaced_view.sql #}

select
    cast(employee_id as varchar) as employee_id,
    cast(employee_birth_date as date) as employee_birth_date,
    cast(employee_hire_date as date) as employee_hire_date,
    cast(level_id as integer) as level_id,
    cast(current_compensation as double) as current_compensation,
    cast(scheduled_hours_per_week as double) as scheduled_hours_per_week,
    cast(eligibility_override as boolean) as eligibility_override,
    cast(auto_escalation_opt_out as boolean) as auto_escalation_opt_out,
    cast(is_enrolled as boolean) as is_enrolled,
    cast(enrollment_date as date) as enrollment_date,
    cast(deferral_rate as double) as deferral_rate,
    cast(enrollment_source as varchar) as enrollment_source,
    cast(ever_opted_out as boolean) as ever_opted_out,
    cast(auto_enrolled_before as boolean) as auto_enrolled_before,
    cast(escalation_count as integer) as escalation_count,
    -- next year's HCE lookback is the pay earned this year
    cast(prorated_compensation as double) as prior_year_compensation,
    cast(ltpt_service_years as integer) as ltpt_service_years,
    cast(ownership_pct as double) as ownership_pct,
    cast(is_officer as boolean) as is_officer,
    cast(is_nonresident_alien as boolean) as is_nonresident_alien,
    -- this year's key status: next year's top-heavy ratio is taken on these balances
    cast(is_key_employee as boolean) as is_key_employee,
    {%- for source in account_sources() %}
    {%- set column = balance_column(source) %}
    cast({{ column }} as double) as {{ column }},
    {%- endfor %}
    cast(vesting_service_adjustment as integer) as vesting_service_adjustment,
    cast(termination_date as date) as termination_date,
    case when employment_status = 'active' then 'active' else 'deferred_vested' end as account_status
from {{ ref('fct_workforce_snapshot') }}
where simulation_year = (select simulation_year from {{ source('sim_input', 'year_context') }})
  and (employment_status = 'active' or account_status = 'deferred_vested')
