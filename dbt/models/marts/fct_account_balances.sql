-- One row per account holder and year: every employee of the year (actives on Jan 1 and
-- hires) and every former employee whose vested balance stayed in the plan. Per source of
-- money: opening balance, contributions, investment earnings, forfeitures, distributions and
-- closing balance, with closing = opening + contributions + earnings - forfeitures -
-- distributions to the cent (each part is rounded first). Conventions (README, the model, item 15):
-- contributions come in through the days employed (contribution_timing spread) and earn from
-- their date; leavers' unvested employer money forfeits, with its earnings, at termination;
-- outstanding loans are offset at termination; distributions are paid on Dec 31.
{%- set sources = account_sources() %}
with context as (
    select * from {{ ref('stg_year_context') }}
),

prev as (
    select * from {{ ref('stg_prev_state') }}
),

population as (
    select * from {{ ref('int_plan_eligibility') }}
),

deferrals as (
    select employee_id, pre_tax_deferrals, roth_deferrals from {{ ref('int_employee_deferrals') }}
),

employer as (
    select employee_id, match_amount, core_amount from {{ ref('int_employer_contributions') }}
),

-- the compliance corrections: refunds leave the plan (ADP from pre-tax first, then Roth); QNECs
-- and QMACs are fully vested like deferrals and go to the pre-tax source; the top-heavy minimum
-- is employer nonelective money under the core vesting schedule
corrections as (
    select * from {{ ref('int_compliance_corrections') }}
),

holders as (
    select
        coalesce(population.employee_id, prev.employee_id) as employee_id,
        coalesce(population.employee_birth_date, prev.employee_birth_date) as employee_birth_date,
        case when population.employee_id is null then 'deferred_vested'
             when population.termination_date is null then 'active' else 'terminated' end as employment_status,
        population.employee_hire_date,
        population.termination_date,
        population.last_day_employed,
        population.current_tenure + population.vesting_service_adjustment as vesting_service_years,
        {%- for source in sources %}
        coalesce(prev.{{ balance_column(source) }}, 0)::double as opening_{{ source }},
        {%- endfor %}
        round(coalesce(deferrals.pre_tax_deferrals, 0)
              - least(coalesce(corrections.adp_refund, 0), coalesce(deferrals.pre_tax_deferrals, 0))
              + coalesce(corrections.qnec_amount, 0) + coalesce(corrections.qmac_amount, 0), 2)::double
            as contributions_pre_tax,
        round(coalesce(deferrals.roth_deferrals, 0)
              - greatest(0, coalesce(corrections.adp_refund, 0) - coalesce(deferrals.pre_tax_deferrals, 0)), 2)::double
            as contributions_roth,
        round(coalesce(employer.match_amount, 0) - coalesce(corrections.acp_refund, 0), 2)::double
            as contributions_match,
        round(coalesce(employer.core_amount, 0) + coalesce(corrections.top_heavy_minimum, 0), 2)::double
            as contributions_core
    from population
    full outer join prev
        on population.employee_id = prev.employee_id
    left join deferrals on deferrals.employee_id = population.employee_id
    left join employer on employer.employee_id = population.employee_id
    left join corrections on corrections.employee_id = population.employee_id
),

rates as (
    select
        holders.*,
        context.simulation_year,
        {{ market_return('context.simulation_year') }} as market_return,
        {%- if var('allocation_type') == 'target_date' %}
        {{ linear_path(var('glide_path'), 'context.simulation_year - year(holders.employee_birth_date)',
                       'age', 'equity_share') }} as equity_share,
        {%- else %}
        1.0 as equity_share,
        {%- endif %}
        -- the share of a year that contributions earn on average
        {%- if var('contribution_timing') == 'spread' %}
        case when holders.employment_status = 'deferred_vested' then 0.0 else
            (context.days_in_year
             - (datediff('day', context.year_start, greatest(holders.employee_hire_date, context.year_start))
                + datediff('day', context.year_start, holders.last_day_employed) + 1) / 2.0)
            / context.days_in_year end as contribution_weight,
        {%- else %}
        0.0 as contribution_weight,
        {%- endif %}
        case when holders.employment_status = 'deferred_vested' then 1.0
             else {{ step_lookup(var('vesting_match_schedule'), 'holders.vesting_service_years', 'years', 'vested_pct') }}
             end as vested_pct_match,
        case when holders.employment_status = 'deferred_vested' then 1.0
             else {{ step_lookup(var('vesting_core_schedule'), 'holders.vesting_service_years', 'years', 'vested_pct') }}
             end as vested_pct_core
    from holders
    cross join context
),

earned as (
    select
        rates.*,
        rates.equity_share * rates.market_return
            + (1 - rates.equity_share) * {{ var('fixed_income_return') if var('allocation_type') == 'target_date' else 0 }}
            as return_rate,
        {%- for source in sources %}
        {%- if source == 'loan' %}
        0.0 as contributions_loan,
        -- a loan earns the interest the participant pays on it, paid back in with the repayments
        0.0 as earnings_loan,
        {%- else %}
        {%- if source in ('after_tax', 'rollover') %}
        0.0 as contributions_{{ source }},
        {%- endif %}
        round(return_rate * (rates.opening_{{ source }}
              + rates.contribution_weight * {{ 'rates.contributions_' ~ source if source not in ('after_tax', 'rollover') else '0' }}), 2)
            as earnings_{{ source }},
        {%- endif %}
        {%- endfor %}
    from rates
),

forfeited as (
    -- a leaver's unvested employer money, with its earnings, forfeits at termination
    select
        earned.*,
        {%- for source in sources %}
        {%- if source in employer_sources() %}
        case when earned.employment_status = 'terminated'
             then round((earned.opening_{{ source }} + earned.contributions_{{ source }} + earned.earnings_{{ source }})
                        * (1 - earned.vested_pct_{{ source }}), 2)
             else 0 end as forfeitures_{{ source }},
        {%- else %}
        0.0 as forfeitures_{{ source }},
        {%- endif %}
        round(earned.opening_{{ source }} + earned.contributions_{{ source }} + earned.earnings_{{ source }}
              - forfeitures_{{ source }}, 2) as available_{{ source }},
        {%- endfor %}
    from earned
),

decided as (
    -- former employees: a force-out below the limit, else the yearly cash-out or rollover
    -- probability of their balance tier; a loan is offset when employment ends
    select
        forfeited.*,
        {% for source in sources if source != 'loan' %}available_{{ source }}{% if not loop.last %} + {% endif %}{% endfor %}
            as vested_after_forfeiture,
        {{ sim_random('distribution', 'forfeited.employee_id', 'forfeited.simulation_year') }} as distribution_draw,
        case
            when forfeited.employment_status = 'active' or vested_after_forfeiture <= 0 then null
            when vested_after_forfeiture < {{ var('force_out_limit') }} then
                case when vested_after_forfeiture <= 1000 or distribution_draw < {{ var('force_out_cash_share') }}
                     then 'force_out_cash' else 'force_out_rollover' end
            {%- for tier in var('distribution_tiers') | sort(attribute='min_balance', reverse=true) %}
            when vested_after_forfeiture >= {{ tier.min_balance }} then
                case when distribution_draw < {{ tier.cash_out_rate }} then 'cash_out'
                     when distribution_draw < {{ tier.cash_out_rate + tier.rollover_rate }} then 'rollover' end
            {%- endfor %}
        end as distribution_type
    from forfeited
),

distributed as (
    select
        decided.*,
        {%- for source in sources %}
        {%- if source == 'loan' %}
        case when decided.employment_status <> 'active' then decided.available_loan else 0 end
        {%- else %}
        case when decided.distribution_type is not null then decided.available_{{ source }} else 0 end
        {%- endif %} as distributions_{{ source }},
        round(decided.available_{{ source }} - distributions_{{ source }}, 2) as closing_{{ source }},
        {%- endfor %}
    from decided
)

select
    {{ sql_string(var("scenario_id")) }} as scenario_id,
    {{ sql_string(var("plan_design_id")) }} as plan_design_id,
    employee_id,
    cast(simulation_year as integer) as simulation_year,
    employment_status,
    termination_date,
    case when employment_status = 'active' then 'active'
         when {% for source in sources %}closing_{{ source }}{% if not loop.last %} + {% endif %}{% endfor %} > 0
             then 'deferred_vested'
         else 'paid_out' end as account_status,
    round(market_return, 6) as market_return,
    round(return_rate, 6) as return_rate,
    round(equity_share, 6) as equity_share,
    round(contribution_weight, 6) as contribution_weight,
    vesting_service_years,
    vested_pct_match,
    vested_pct_core,
    distribution_type,
    {%- for measure in ('opening', 'contributions', 'earnings', 'forfeitures', 'distributions', 'closing') %}
    {%- for source in sources %}
    {{ measure }}_{{ source }},
    {%- endfor %}
    round({% for source in sources %}{{ measure }}_{{ source }}{% if not loop.last %} + {% endif %}{% endfor %}, 2)
        as {{ measure }}_total,
    {%- endfor %}
    -- what leaves retirement savings: cash-outs and loan offsets (rollovers stay saved)
    round(case when distribution_type in ('cash_out', 'force_out_cash')
               then distributions_total - distributions_loan else 0 end + distributions_loan, 2) as leakage,
    -- vested part of the closing balance (employee money always, employer money by the schedule)
    round({% for source in sources %}closing_{{ source }}{% if source in employer_sources() %} * vested_pct_{{ source }}{% endif %}{% if not loop.last %} + {% endif %}{% endfor %}, 2)
        as vested_balance
from distributed
