-- The starting workforce: census employees active on the as-of date (Dec 31 of the
-- year before the first simulated year), in the shape a year hands to the next.
with census as (
    select * from {{ ref('stg_census') }}
),

levels as (
    select * from {{ ref('config_job_levels') }}
),

as_of as (
    select make_date({{ var('start_year') }} - 1, 12, 31) as as_of_date
),

-- actives, and former employees who still hold a balance in the plan (deferred vested)
active_census as (
    select
        census.*,
        coalesce(census.active, true)
            and (census.employee_termination_date is null or census.employee_termination_date > as_of.as_of_date)
            as is_active,
        is_active and coalesce(census.employee_deferral_rate, 0) > 0 and coalesce(census.eligibility_override, true)
            as is_participant
    from census
    cross join as_of
    where is_active
       or {% for source in account_sources() %}{{ balance_column(source) }} > 0
          {%- if not loop.last %} or {% endif %}{% endfor %}
),

-- Bands are contiguous: the level is the highest one whose minimum the full-time-equivalent
-- pay reaches (pay under the lowest minimum is level 1, above the top maximum the top level);
-- a part-timer's census pay is scaled to 40 hours a week first.
pay_level as (
    select
        active_census.employee_id,
        coalesce(max(levels.level_id), (select min(level_id) from levels)) as derived_level_id
    from active_census
    left join levels on active_census.employee_gross_compensation * 40.0
                        / coalesce(nullif(active_census.scheduled_hours_per_week, 0), 40.0) >= levels.min_compensation
    group by active_census.employee_id
)

select
    active_census.employee_id,
    active_census.employee_birth_date,
    active_census.employee_hire_date,
    case
        when active_census.level_id in (select level_id from levels) then active_census.level_id
        else pay_level.derived_level_id
    end as level_id,
    active_census.employee_gross_compensation as current_compensation,
    coalesce(active_census.scheduled_hours_per_week, 40.0) as scheduled_hours_per_week,
    active_census.eligibility_override,
    coalesce(active_census.auto_escalation_opt_out, false) as auto_escalation_opt_out,
    -- census participants stay enrolled at their census rate; an employee excluded from the
    -- plan (override false) defers nothing, whatever the census says (census_report counts them)
    active_census.is_participant as is_enrolled,
    case when active_census.is_participant
         then coalesce(active_census.employee_enrollment_date, as_of.as_of_date) end as enrollment_date,
    case when active_census.is_participant
         then least(active_census.employee_deferral_rate, 0.75) else 0.0 end::double as deferral_rate,
    case when active_census.is_participant then 'census' end as enrollment_source,
    false as ever_opted_out,
    false as auto_enrolled_before,
    0::integer as escalation_count,
    -- the HCE lookback (414(q)): the census's prior-year pay where given, else its annual rate
    coalesce(active_census.prior_year_compensation, active_census.employee_gross_compensation)
        as prior_year_compensation,
    -- compliance facts the census carries for life (ownership with family attribution)
    coalesce(active_census.ownership_pct, 0.0)::double as ownership_pct,
    coalesce(active_census.is_officer, false) as is_officer,
    coalesce(active_census.is_nonresident_alien, false) as is_nonresident_alien,
    -- key employee (416(i)) in the census year, for the first year's top-heavy ratio: officers
    -- above the key-employee pay limit (of the census year, else the first published one),
    -- 5 % owners, 1 % owners above $150,000
    {{ key_employee('coalesce(active_census.is_officer, false)', 'coalesce(active_census.ownership_pct, 0.0)',
                    'coalesce(active_census.prior_year_compensation, active_census.employee_gross_compensation)',
                    '(select key_employee_limit from ' ~ ref('int_irs_limits') ~ ' order by limit_year <> '
                    ~ (var('start_year') | int - 1) ~ ', limit_year limit 1)') }} as is_key_employee,
    -- account balances by source on the census date (zero where the census gives none)
    {%- for source in account_sources() %}
    {%- set column = balance_column(source) %}
    coalesce(active_census.{{ column }}, 0.0)::double as {{ column }},
    {%- endfor %}
    -- vesting service beyond (or short of) years since hire, from the census's vesting service
    coalesce(floor(active_census.vesting_service_years)::integer
             - {{ service_years('active_census.employee_hire_date', 'as_of.as_of_date') }}, 0)::integer
        as vesting_service_adjustment,
    case when active_census.is_active then null else active_census.employee_termination_date end as termination_date,
    case when active_census.is_active then 'active' else 'deferred_vested' end as account_status,
    -- long-term part-time service (SECURE 2.0 section 125): consecutive plan years with at least
    -- 500 hours, 12-month periods before 2023 not counted; the census gives the weekly schedule
    -- only, so every year employed at it counts (the year of hire by its share of the year)
    {{ ltpt_years_at_census('active_census.employee_hire_date', 'as_of.as_of_date',
                            'coalesce(active_census.scheduled_hours_per_week, 40.0)') }} as ltpt_service_years
from active_census
cross join as_of
join pay_level using (employee_id)
