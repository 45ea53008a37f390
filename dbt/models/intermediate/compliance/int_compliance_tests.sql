{{ config(materialized='scratch_table') }}

-- The year's ADP and ACP tests (IRC 401(k)(3), 401(m)(2)) with what correcting a failure takes:
-- one row per test. The refund of a failed test follows Treas. Reg. 1.401(k)-2(b)(2): step 1
-- levels the highest HCE ratios down to the ratio that brings the HCE average to the limit,
-- which gives the total excess; step 2 pays that total back by leveling the highest HCE
-- dollar amounts down to one dollar level. A QNEC (QMAC) instead adds the smallest uniform
-- share of pay to every eligible NHCE that lets the test pass. Safe-harbor designs are deemed
-- to pass (401(k)(12), (13); the ACP only with a safe-harbor match, 401(m)(11), (12)).
{%- set adp_safe_harbor = match_is_safe_harbor() or var('core_safe_harbor') %}
{%- set acp_safe_harbor = match_is_safe_harbor() %}
with context as (
    select * from {{ ref('stg_year_context') }}
),

employees as (
    select * from {{ ref('int_compliance_employees') }}
),

-- one row per employee and test: the ratio, the dollars a refund comes from, the pay
ratios as (
    select 'adp' as test_name, employee_id, is_hce, actual_deferral_ratio as ratio, adp_deferrals as dollars,
           plan_compensation
    from employees
    where actual_deferral_ratio is not null
    union all
    select 'acp' as test_name, employee_id, is_hce, actual_contribution_ratio as ratio, match_amount as dollars,
           plan_compensation
    from employees
    where actual_contribution_ratio is not null
),

tests as (
    select * from (values ('adp', {{ sql_bool(adp_safe_harbor) }}, {{ sql_string(var('adp_correction')) }}),
                          ('acp', {{ sql_bool(acp_safe_harbor) }}, {{ sql_string(var('acp_correction')) }}))
        as t(test_name, is_safe_harbor, correction)
),

averages as (
    select
        tests.test_name,
        tests.is_safe_harbor,
        tests.correction,
        count(ratios.employee_id) filter (where ratios.is_hce) as hce_count,
        count(ratios.employee_id) filter (where not ratios.is_hce) as nhce_count,
        round(avg(ratios.ratio) filter (where ratios.is_hce), 4) as hce_average,
        round(avg(ratios.ratio) filter (where not ratios.is_hce), 4) as nhce_current_average
    from tests
    left join ratios using (test_name)
    group by all
),

limits as (
    select
        averages.*,
        {%- if var('compliance_testing_method') == 'prior_year' %}
        -- prior-year testing: last year's NHCE average; the first year takes 3 % (401(k)(3)(E))
        coalesce(case averages.test_name when 'adp' then context.prior_year_nhce_adp
                                         else context.prior_year_nhce_acp end, 0.03) as nhce_average,
        case when (case averages.test_name when 'adp' then context.prior_year_nhce_adp
                                          else context.prior_year_nhce_acp end) is null
             then 'first-year rule: prior-year NHCE average of 3 %' end as method_note,
        {%- else %}
        coalesce(averages.nhce_current_average, 0.0) as nhce_average,
        null as method_note,
        {%- endif %}
        round({{ nondiscrimination_limit('nhce_average') }}, 6) as limit_value
    from averages
    cross join context
),

judged as (
    select
        limits.*,
        not limits.is_safe_harbor and limits.hce_count > 0 and limits.hce_average > limits.limit_value as fails
    from limits
),

-- step 1: the ratio T the highest HCE ratios are leveled to, so that the HCE average is the limit;
-- with the HCE ratios in descending order, the first k whose level T_k = (n L - sum below k) / k
-- is at least the next ratio
ratio_ranked as (
    select
        ratios.test_name, ratios.employee_id, ratios.ratio, ratios.plan_compensation, ratios.dollars,
        judged.hce_count, judged.limit_value,
        row_number() over by_ratio as k,
        sum(ratios.ratio) over (partition by ratios.test_name) - sum(ratios.ratio) over by_ratio as sum_below,
        coalesce(lead(ratios.ratio) over by_ratio, 0.0) as next_ratio
    from ratios
    join judged using (test_name)
    where ratios.is_hce and judged.fails
    window by_ratio as (partition by ratios.test_name order by ratios.ratio desc, ratios.employee_id
                        rows between unbounded preceding and current row)
),

ratio_level as (
    select test_name, min_by((hce_count * limit_value - sum_below) / k, k) as leveled_ratio
    from ratio_ranked
    where (hce_count * limit_value - sum_below) / k >= next_ratio - 1e-12
    group by test_name
),

excess as (
    select
        ratio_ranked.test_name,
        any_value(ratio_level.leveled_ratio) as leveled_ratio,
        round(sum(greatest(0, ratio_ranked.ratio - ratio_level.leveled_ratio) * ratio_ranked.plan_compensation), 2)
            as total_excess,
        -- the HCE average after step 1: the limit, to the hundredth of a percent
        round(avg(least(ratio_ranked.ratio, ratio_level.leveled_ratio)), 4) as leveled_hce_average
    from ratio_ranked
    join ratio_level using (test_name)
    group by ratio_ranked.test_name
),

-- step 2: the dollar level D the highest HCE amounts are cut to so that the cuts add to the excess
dollar_ranked as (
    select
        ratio_ranked.test_name, ratio_ranked.employee_id, ratio_ranked.dollars, excess.total_excess,
        row_number() over by_dollars as k,
        sum(ratio_ranked.dollars) over by_dollars as sum_above,
        coalesce(lead(ratio_ranked.dollars) over by_dollars, 0.0) as next_dollars
    from ratio_ranked
    join excess using (test_name)
    window by_dollars as (partition by ratio_ranked.test_name order by ratio_ranked.dollars desc,
                          ratio_ranked.employee_id rows between unbounded preceding and current row)
),

dollar_level as (
    select test_name, greatest(0, min_by((sum_above - total_excess) / k, k)) as leveled_dollars
    from dollar_ranked
    where (sum_above - total_excess) / k >= next_dollars - 1e-9
    group by test_name
)

select
    judged.test_name,
    judged.is_safe_harbor,
    judged.correction,
    judged.hce_count,
    judged.nhce_count,
    judged.hce_average,
    judged.nhce_current_average,
    judged.nhce_average,
    judged.limit_value,
    judged.fails,
    judged.method_note,
    excess.leveled_ratio,
    excess.leveled_hce_average,
    coalesce(excess.total_excess, 0.0) as total_excess,
    dollar_level.leveled_dollars,
    -- the QNEC (QMAC) rate: the NHCE average the HCE average needs, less the one there is,
    -- rounded up to the hundredth of a percent
    case when judged.fails and judged.correction in ('qnec', 'qmac')
         then greatest(0, ceil(round(({{ nhce_average_needed('judged.hce_average') }} - judged.nhce_average) * 10000, 6))
                          / 10000) end as qualified_contribution_rate
from judged
left join excess using (test_name)
left join dollar_level using (test_name)
