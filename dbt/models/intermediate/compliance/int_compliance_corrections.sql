{{ config(materialized='scratch_table') }}

-- What correcting the year's tests gives or takes, per employee of the year: ADP refunds (the
-- dollar-leveled excess, recharacterised as catch-up first up to the HCE's unused catch-up),
-- ACP refunds, QNECs and QMACs to eligible NHCEs, and the top-heavy minimum (IRC 416(c)(2)) for
-- non-key participants employed at year end: 3 % of pay, or the highest key-employee rate if
-- lower, less the employer money they already receive.
with employees as (
    select * from {{ ref('int_compliance_employees') }}
),

tests as (
    select * from {{ ref('int_compliance_tests') }}
),

top_heavy as (
    select * from {{ ref('int_top_heavy') }}
),

adp as (select * from tests where test_name = 'adp'),
acp as (select * from tests where test_name = 'acp'),

amounts as (
    select
        employees.employee_id,
        employees.simulation_year,
        -- step 2 of the refund: each HCE's cut to the dollar level
        case when adp.fails and adp.correction = 'refund' and employees.is_hce
                  and employees.actual_deferral_ratio is not null
             then round(greatest(0, employees.adp_deferrals - adp.leveled_dollars), 2) else 0 end as adp_excess,
        case when acp.fails and acp.correction = 'refund' and employees.is_hce
                  and employees.actual_contribution_ratio is not null
             then round(greatest(0, employees.match_amount - acp.leveled_dollars), 2) else 0 end as acp_refund,
        case when adp.fails and adp.correction = 'qnec' and not employees.is_hce
                  and employees.actual_deferral_ratio is not null
             then round(adp.qualified_contribution_rate * employees.plan_compensation, 2) else 0 end as qnec_amount,
        case when acp.fails and acp.correction = 'qmac' and not employees.is_hce
                  and employees.actual_contribution_ratio is not null
             then round(acp.qualified_contribution_rate * employees.plan_compensation, 2) else 0 end as qmac_amount,
        case when top_heavy.is_top_heavy and not employees.is_key_employee and employees.employed_at_year_end
             then round(greatest(0, top_heavy.minimum_rate * employees.plan_compensation
                                    - employees.match_amount - employees.core_amount), 2) else 0 end
            as top_heavy_minimum,
        employees.catch_up_room
    from employees
    cross join adp
    cross join acp
    cross join top_heavy
)

select
    employee_id,
    simulation_year,
    -- 1.414(v)-1(d)(2)(iii): excess deferrals within unused catch-up stay in the plan as catch-up
    round(least(adp_excess, catch_up_room), 2) as adp_recharacterized,
    round(adp_excess - least(adp_excess, catch_up_room), 2) as adp_refund,
    acp_refund,
    qnec_amount,
    qmac_amount,
    top_heavy_minimum
from amounts
