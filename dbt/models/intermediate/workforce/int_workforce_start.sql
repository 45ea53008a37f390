-- Everyone active on Jan 1 of the year, with age and tenure as of Dec 31 of the year
-- and the bands the hazard tables use.
-- (accounts of former employees roll forward in fct_account_balances, not here)
with prev as (
    -- the workforce columns: not the accounts (nor their status), which fct_account_balances rolls
    select columns(lambda c: c not in ('account_status', 'termination_date', 'is_key_employee',
        {%- for source in account_sources() %} {{ sql_string(balance_column(source)) }}
        {%- if not loop.last %},{% endif %}{% endfor %}))
    from {{ ref('stg_prev_state') }}
    where account_status = 'active'
),

context as (
    select * from {{ ref('stg_year_context') }}
),

age_bands as (
    select * from {{ ref('config_age_bands') }}
),

tenure_bands as (
    select * from {{ ref('config_tenure_bands') }}
),

dated as (
    select
        prev.*,
        context.simulation_year,
        context.year_start,
        context.year_end,
        context.days_in_year,
        context.simulation_year - year(prev.employee_birth_date) as current_age,
        {{ service_years('prev.employee_hire_date', 'context.year_end') }} as current_tenure,
        year(prev.employee_hire_date) = context.simulation_year - 1 as hired_last_year
    from prev
    cross join context
)

select
    dated.*,
    age_bands.band_label as age_band,
    tenure_bands.band_label as tenure_band
from dated
join age_bands
    on dated.current_age >= age_bands.min_value and dated.current_age < age_bands.max_value
join tenure_bands
    on dated.current_tenure >= tenure_bands.min_value and dated.current_tenure < tenure_bands.max_value
