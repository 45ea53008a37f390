-- IRS limits by year: the published rows, then projections from the last published
-- year (indexed by irs_limit_index, rounded down to the IRS step of each limit). The Roth
-- catch-up wage threshold (SECURE 2.0 section 603, IRS Notice 2025-67) starts in 2026:
-- null before.
-- Projects to 2035, or further when the simulation runs past it.
{%- set last_projected_year = [2035, var('end_year') | int] | max %}
{%- set steps = {
    'deferral_limit_402g': 500,
    'catch_up_limit': 500,
    'super_catch_up_limit': 500,
    'annual_additions_limit_415c': 1000,
    'compensation_limit_401a17': 5000,
    'hce_threshold': 5000,
    'roth_catch_up_wage_threshold': 5000,
    'key_employee_limit': 5000,
} %}

with published as (
    select
        cast(limit_year as integer) as limit_year,
        {%- for column in steps %}
        cast({{ column }} as integer) as {{ column }},
        {%- endfor %}
        false as is_estimated
    from {{ ref('config_irs_limits_published') }}
),

last_published as (
    select * from published
    order by limit_year desc
    limit 1
),

projected_years as (
    select cast(range as integer) as limit_year
    from range((select limit_year + 1 from last_published), {{ last_projected_year }} + 1)
),

projected as (
    select
        projected_years.limit_year,
        {%- for column, step in steps.items() %}
        -- the 1e-9 keeps a value that lands exactly on a step from flooring one step low
        cast(floor(last_published.{{ column }}
                   * pow(1 + {{ var('irs_limit_index') }}, projected_years.limit_year - last_published.limit_year)
                   / {{ step }} + 1e-9) * {{ step }} as integer) as {{ column }},
        {%- endfor %}
        true as is_estimated
    from projected_years
    cross join last_published
),

all_years as (
    select * from published
    union all
    select * from projected
)

select
    limit_year,
    {%- for column in steps %}
    {{ column }},
    {%- endfor %}
    50 as catch_up_age,
    60 as super_catch_up_min_age,
    63 as super_catch_up_max_age,
    is_estimated
from all_years
order by limit_year
