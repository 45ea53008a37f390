-- The year's nondiscrimination tests, one row per test (DESIGN.md section 9): ADP and ACP
-- (401(k)(3), 401(m)(2)), top-heavy (416) and the 410(b) ratio-percentage test of the deferral,
-- match and core parts. result: pass | fail | deemed_pass (safe harbor) | corrected (failed, then
-- corrected as configured; corrective_amount is what the correction moved).
with tests as (
    select * from {{ ref('int_compliance_tests') }}
),

corrections as (
    select * from {{ ref('int_compliance_corrections') }}
),

employees as (
    select * from {{ ref('int_compliance_employees') }}
),

top_heavy as (
    select * from {{ ref('int_top_heavy') }}
),

context as (
    select * from {{ ref('stg_year_context') }}
),

totals as (
    select
        sum(adp_refund + adp_recharacterized) as adp_corrected,
        sum(qnec_amount) as qnec_total,
        sum(acp_refund) as acp_corrected,
        sum(qmac_amount) as qmac_total,
        sum(top_heavy_minimum) as top_heavy_total
    from corrections
),

nondiscrimination as (
    select
        tests.test_name,
        case when tests.is_safe_harbor then 'deemed_pass'
             when tests.fails then 'corrected'
             else 'pass' end as result,
        tests.hce_average,
        tests.nhce_average,
        tests.limit_value,
        round(tests.limit_value - tests.hce_average, 6) as margin,
        case when tests.fails and tests.correction = 'refund' then tests.leveled_hce_average
             when tests.fails then tests.hce_average end as hce_average_corrected,
        case when tests.fails and tests.correction = 'refund' then tests.limit_value
             when tests.fails
             then round({{ nondiscrimination_limit('(tests.nhce_average + tests.qualified_contribution_rate)') }}, 6)
             end as limit_value_corrected,
        case when not tests.fails then 0.0
             when tests.test_name = 'adp' and tests.correction = 'refund' then totals.adp_corrected
             when tests.test_name = 'adp' then totals.qnec_total
             when tests.correction = 'refund' then totals.acp_corrected
             else totals.qmac_total end as corrective_amount,
        concat_ws('; ',
            case when tests.is_safe_harbor then 'safe-harbor design: deemed to pass' end,
            case when tests.hce_count = 0 then 'no eligible HCE' end,
            tests.method_note,
            case when tests.fails then tests.correction
                 || case when tests.correction in ('qnec', 'qmac')
                         then ' of ' || round(tests.qualified_contribution_rate * 100, 2) || ' % of pay' else '' end
            end) as note
    from tests
    cross join totals
),

top_heavy_row as (
    select
        'top_heavy' as test_name,
        case when top_heavy.is_exempt then 'deemed_pass'
             when top_heavy.is_top_heavy then 'corrected'
             else 'pass' end as result,
        top_heavy.key_share as hce_average,
        round(1 - top_heavy.key_share, 6) as nhce_average,
        0.6 as limit_value,
        round(0.6 - top_heavy.key_share, 6) as margin,
        null::double as hce_average_corrected,
        null::double as limit_value_corrected,
        case when top_heavy.is_top_heavy then totals.top_heavy_total else 0.0 end as corrective_amount,
        concat_ws('; ',
            case when top_heavy.is_exempt then 'safe-harbor contributions only: exempt (416(g)(4)(H))' end,
            'key employees hold ' || round(top_heavy.key_share * 100, 2) || ' % of balances',
            case when top_heavy.is_top_heavy
                 then 'minimum ' || round(top_heavy.minimum_rate * 100, 2) || ' % of pay to non-key participants' end
        ) as note
    from top_heavy
    cross join totals
),

coverage_counts as (
    select
        component,
        count(*) filter (where employees.is_hce) as hce_count,
        count(*) filter (where not employees.is_hce) as nhce_count,
        count(*) filter (where employees.is_hce and benefits) as hce_benefiting,
        count(*) filter (where not employees.is_hce and benefits) as nhce_benefiting
    from employees,
         lateral (select unnest(['deferral', 'match', 'core']) as component,
                         unnest([employees.benefits_deferral, employees.benefits_match, employees.benefits_core])
                             as benefits)
    where not employees.is_coverage_excludable
    group by component
),

coverage_rows as (
    select
        'coverage_410b_' || component as test_name,
        round(case when hce_count > 0 then hce_benefiting / hce_count end, 6) as hce_average,
        round(case when nhce_count > 0 then nhce_benefiting / nhce_count end, 6) as nhce_average,
        -- the ratio percentage; with no HCE benefiting the part passes whatever the NHCEs get
        case when hce_benefiting > 0 then round(coalesce(nhce_average, 0) / hce_average, 6) end as ratio_percentage,
        case when hce_benefiting = 0 or ratio_percentage >= 0.7 then 'pass' else 'fail' end as result,
        0.7 as limit_value,
        round(ratio_percentage - 0.7, 6) as margin,
        null::double as hce_average_corrected,
        null::double as limit_value_corrected,
        0.0 as corrective_amount,
        concat_ws('; ',
            case when hce_benefiting + nhce_benefiting = 0 then 'no one benefits: not in the plan'
                 when hce_benefiting = 0 then 'no HCE benefits' end,
            case when ratio_percentage is not null then 'ratio percentage ' || round(ratio_percentage * 100, 2) || ' %' end
        ) as note
    from coverage_counts
)

select
    {{ sql_string(var("scenario_id")) }} as scenario_id,
    {{ sql_string(var("plan_design_id")) }} as plan_design_id,
    cast({{ var("random_seed") }} as bigint) as random_seed,
    context.simulation_year,
    all_tests.test_name,
    all_tests.result,
    all_tests.hce_average,
    all_tests.nhce_average,
    all_tests.limit_value,
    all_tests.margin,
    all_tests.hce_average_corrected,
    all_tests.limit_value_corrected,
    round(coalesce(all_tests.corrective_amount, 0), 2) as corrective_amount,
    nullif(all_tests.note, '') as note
from (
    select test_name, result, hce_average, nhce_average, limit_value, margin, hce_average_corrected,
           limit_value_corrected, corrective_amount, note
    from nondiscrimination
    union all
    select test_name, result, hce_average, nhce_average, limit_value, margin, hce_average_corrected,
           limit_value_corrected, corrective_amount, note
    from top_heavy_row
    union all
    select test_name, result, hce_average, nhce_average, limit_value, margin, hce_average_corrected,
           limit_value_corrected, corrective_amount, note
    from coverage_rows
) as all_tests
cross join context
