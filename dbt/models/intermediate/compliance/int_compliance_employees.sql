{{ config(materialized='scratch_table') }}

-- What the year's nondiscrimination tests read of each employee of the year (DESIGN.md section 9):
-- HCE and key-employee status, the ADP and ACP ratios, the catch-up room a refund may be
-- recharacterised into, the 410(b) statutory exclusions and who benefits from each part of the plan.
with population as (
    select * from {{ ref('int_plan_eligibility') }}
),

deferrals as (
    select * from {{ ref('int_employee_deferrals') }}
),

employer as (
    select * from {{ ref('int_employer_contributions') }}
),

limits as (
    select * from {{ ref('int_irs_limits') }}
),

joined as (
    select
        population.employee_id,
        population.simulation_year,
        population.termination_date,
        population.current_age,
        population.current_tenure,
        coalesce(population.ownership_pct, 0.0) as ownership_pct,
        coalesce(population.is_officer, false) as is_officer,
        coalesce(population.is_nonresident_alien, false) as is_nonresident_alien,
        coalesce(population.prior_year_compensation, 0.0) as hce_lookback_compensation,
        deferrals.is_plan_eligible,
        deferrals.earned_compensation,
        deferrals.plan_compensation,
        deferrals.employee_deferrals,
        deferrals.catch_up_deferrals,
        -- catch-up room left under the year's limit (none where a required Roth catch-up is not offered)
        greatest(0, deferrals.deferral_limit - deferrals.deferral_limit_402g - deferrals.catch_up_deferrals)
            as catch_up_room,
        employer.is_match_eligible,
        employer.is_core_eligible,
        employer.match_amount,
        employer.core_amount,
        -- before the first published year the year's own threshold stands in
        coalesce(lookback.hce_threshold, limits.hce_threshold) as lookback_hce_threshold,
        limits.key_employee_limit
    from population
    join deferrals using (employee_id)
    join employer using (employee_id)
    join limits on population.simulation_year = limits.limit_year
    -- the HCE pay test looks back at last year's pay and last year's threshold (414(q)(1)(B))
    left join limits as lookback on population.simulation_year - 1 = lookback.limit_year
),

ranked as (
    select
        joined.*,
        -- the top-paid group: the top 20 % of the year's employees by last year's pay (414(q)(3))
        row_number() over (order by hce_lookback_compensation desc, employee_id)
            <= ceil(0.2 * count(*) over ()) as in_top_paid_group
    from joined
)

select
    employee_id,
    simulation_year,
    ownership_pct,
    is_officer,
    is_nonresident_alien,
    hce_lookback_compensation,
    -- 414(q)(1): a 5 % owner (this or last year: the census ownership holds for both), or paid more
    -- than last year's threshold last year (and in the top-paid group when the plan elects it)
    coalesce(ownership_pct > 5
        or hce_lookback_compensation > lookback_hce_threshold
           {%- if var('hce_top_paid_group') %} and in_top_paid_group{% endif %}, false) as is_hce,
    coalesce({{ key_employee('is_officer', 'ownership_pct', 'earned_compensation', 'key_employee_limit') }}, false)
        as is_key_employee,
    is_plan_eligible,
    coalesce(is_match_eligible, false) and {{ sql_bool(var('match_enabled')) }} as is_match_eligible,
    plan_compensation,
    round(employee_deferrals - catch_up_deferrals, 2) as adp_deferrals,
    catch_up_room,
    match_amount,
    core_amount,
    -- ADP: deferrals without catch-up (414(v)(3)(A)) over plan pay; eligible non-deferrers at 0
    case when is_plan_eligible then {{ test_ratio('employee_deferrals - catch_up_deferrals', 'plan_compensation') }}
         end as actual_deferral_ratio,
    -- ACP: matching (and after-tax) contributions over plan pay, for those eligible for the match
    case when coalesce(is_match_eligible, false) and {{ sql_bool(var('match_enabled')) }}
         then {{ test_ratio('match_amount', 'plan_compensation') }} end as actual_contribution_ratio,
    -- 410(b)(4)(A) and (3)(C): under 21, under a year of service, nonresident aliens are excludable
    current_age < 21 or current_tenure < 1 or is_nonresident_alien as is_coverage_excludable,
    is_plan_eligible as benefits_deferral,
    coalesce(is_match_eligible, false) and {{ sql_bool(var('match_enabled')) }} as benefits_match,
    coalesce(core_amount, 0) > 0 as benefits_core,
    -- the top-heavy minimum goes to non-key participants employed on the last day of the year
    is_plan_eligible and termination_date is null as employed_at_year_end
from ranked
