{{ config(materialized='scratch_table') }}

-- Employee deferrals on pay actually earned in the year (the periods of
-- int_deferral_periods, prorated by days), only while in the plan; pay capped at
-- 401(a)(17); deferrals capped at 402(g) plus the age-50 catch-up (the higher one at
-- 60-63). From 2026 the catch-up of an employee whose prior-year FICA wages exceed the
-- threshold must be Roth (SECURE 2.0 section 603); with no Roth in the plan such an
-- employee makes no catch-up. Also the plan state each employee ends the year with.
with population as (
    select * from {{ ref('int_plan_eligibility') }}
),

events as (
    select * from {{ ref('int_yearly_events') }}
),

limits as (
    select * from {{ ref('int_irs_limits') }}
),

period_days as (
    select * from {{ ref('int_deferral_periods') }}
),

earned as (
    select
        employee_id,
        sum(pay_rate * days / days_in_year) as earned_compensation,
        sum(pay_rate * deferral_rate_in_plan * days / days_in_year) as requested_deferrals,
        max_by(deferral_rate, (change_date, event_sequence)) as year_end_deferral_rate,
        max_by(pay_rate, (change_date, event_sequence)) as year_end_compensation,
        -- the ratio of deferrals to pay changes in the year (the per-pay-period match can differ)
        min(deferral_rate_in_plan) filter (where days > 0) != max(deferral_rate_in_plan) filter (where days > 0)
            as deferral_rate_varies
    from period_days
    group by employee_id
),

plan_events as (
    select
        employee_id,
        min(effective_date) filter (where event_type = 'enrollment') as enrolled_on,
        any_value(event_category) filter (where event_type = 'enrollment') as enrollment_category,
        count(*) filter (where event_type = 'enrollment_change') > 0 as opted_out,
        count(*) filter (where event_category = 'auto_enrollment') > 0 as auto_enrolled,
        count(*) filter (where event_type = 'deferral_escalation') as escalations
    from events
    where event_type in ('enrollment', 'enrollment_change', 'deferral_escalation')
    group by employee_id
),

capped as (
    select
        population.*,
        coalesce(earned.earned_compensation, 0) as earned_compensation,
        least(coalesce(earned.earned_compensation, 0), limits.compensation_limit_401a17) as plan_compensation,
        coalesce(earned.requested_deferrals, 0)
            * least(1.0, limits.compensation_limit_401a17 / nullif(earned.earned_compensation, 0)) as requested_deferrals,
        coalesce(earned.earned_compensation, 0) > limits.compensation_limit_401a17 as compensation_limit_applied,
        limits.deferral_limit_402g,
        case
            when population.current_age between limits.super_catch_up_min_age and limits.super_catch_up_max_age
                 and limits.super_catch_up_limit > 0 then limits.super_catch_up_limit
            when population.current_age >= limits.catch_up_age then limits.catch_up_limit
            else 0 end as catch_up_allowance,
        -- prior-year FICA wages from this employer: last year's pay (the census rate in the first year)
        coalesce(population.prior_year_compensation, 0) as prior_year_fica_wages,
        population.current_age >= limits.catch_up_age
            and coalesce(population.prior_year_compensation, 0) > limits.roth_catch_up_wage_threshold
            as roth_catch_up_required,
        limits.annual_additions_limit_415c as annual_additions_limit,
        earned.year_end_deferral_rate,
        earned.year_end_compensation,
        coalesce(earned.deferral_rate_varies, false) as deferral_rate_varies,
        plan_events.enrolled_on,
        plan_events.enrollment_category,
        coalesce(plan_events.opted_out, false) as opted_out_this_year,
        coalesce(plan_events.auto_enrolled, false) as auto_enrolled_this_year,
        coalesce(plan_events.escalations, 0) as escalations_this_year,
        population.scheduled_hours_per_week * 52.0
            * greatest(0, datediff('day', greatest(population.employee_hire_date, population.year_start),
                                   coalesce(population.termination_date, population.year_end)) + 1)
            / population.days_in_year as annual_hours
    from population
    join limits on population.simulation_year = limits.limit_year
    left join earned using (employee_id)
    left join plan_events using (employee_id)
),

limited as (
    select
        capped.*,
        capped.deferral_limit_402g
            + case when capped.roth_catch_up_required and not {{ sql_bool(var('roth_available')) }} then 0
                   else capped.catch_up_allowance end as deferral_limit
    from capped
),

deferred as (
    select
        limited.*,
        round(least(limited.requested_deferrals, limited.deferral_limit), 2) as employee_deferrals
    from limited
),

split as (
    select
        deferred.*,
        round(greatest(0, deferred.employee_deferrals - deferred.deferral_limit_402g), 2) as catch_up_deferrals
    from deferred
),

sourced as (
    select
        split.*,
        case when split.roth_catch_up_required then split.catch_up_deferrals else 0 end as roth_catch_up_deferrals,
        -- the Roth share applies to regular deferrals and to catch-up that need not be Roth
        round({{ var('roth_share') }} * (split.employee_deferrals - split.catch_up_deferrals)
              + case when split.roth_catch_up_required then split.catch_up_deferrals
                     else {{ var('roth_share') }} * split.catch_up_deferrals end, 2) as roth_deferrals
    from split
)

select
    employee_id,
    simulation_year,
    case when termination_date is null then 'active' else 'terminated' end as employment_status,
    case
        when is_new_hire and termination_date is not null then 'new_hire_termination'
        when is_new_hire then 'new_hire_active'
        when termination_date is not null then 'experienced_termination'
        else 'continuous_active'
    end as detailed_status_code,
    cast(current_age as integer) as current_age,
    cast(current_tenure as integer) as current_tenure,
    round(annual_hours, 1) as annual_hours,
    is_plan_eligible,
    eligibility_date,
    eligibility_route,
    year_end_compensation,
    round(earned_compensation, 2) as earned_compensation,
    round(plan_compensation, 2) as plan_compensation,
    compensation_limit_applied,
    round(requested_deferrals, 2) as requested_deferrals,
    employee_deferrals,
    round(employee_deferrals - roth_deferrals, 2) as pre_tax_deferrals,
    roth_deferrals,
    catch_up_deferrals,
    prior_year_fica_wages,
    coalesce(roth_catch_up_required, false) as roth_catch_up_required,
    roth_catch_up_deferrals,
    deferral_limit_402g,
    deferral_limit,
    requested_deferrals > deferral_limit as deferral_limit_reached,
    deferral_rate_varies,
    annual_additions_limit,
    -- plan state at Dec 31 (handed to next year)
    coalesce(year_end_deferral_rate, 0.0) as year_end_deferral_rate,
    (is_enrolled or enrolled_on is not null) and not opted_out_this_year as is_enrolled_year_end,
    case when opted_out_this_year then null else coalesce(enrolled_on, enrollment_date) end as year_end_enrollment_date,
    case when opted_out_this_year then null
         when enrollment_category is not null then replace(enrollment_category, '_enrollment', '')
         else enrollment_source end as year_end_enrollment_source,
    ever_opted_out or opted_out_this_year as ever_opted_out_year_end,
    auto_enrolled_before or auto_enrolled_this_year as auto_enrolled_before_year_end,
    escalation_count + escalations_this_year as escalation_count_year_end,
    escalations_this_year,
    -- consecutive plan years with 500+ hours (long-term part-time service, from 2023)
    case when simulation_year >= 2023 and annual_hours >= 500 then ltpt_years_at_start + 1 else 0 end::integer
        as ltpt_service_years_year_end
from sourced
