{{ config(tags=["year"]) }}

-- Every account still held at the end of last year (the census in the first year) opens
-- this year at last year's closing balance, source by source; and each account's roll
-- closes to the cent: closing = opening + contributions + earnings - forfeitures - distributions.
with context as (
    select simulation_year from {{ source('sim_input', 'year_context') }}
),

accounts as (
    select * from {{ ref('fct_account_balances') }}
    where simulation_year = (select simulation_year from context)
),

handed_over as (
    select * from {{ ref('stg_prev_state') }}
),

missing_or_different as (
    select handed_over.employee_id, 'opening balance' as problem
    from handed_over
    left join accounts using (employee_id)
    where accounts.employee_id is null
       {%- for source in account_sources() %}
       or abs(accounts.opening_{{ source }} - handed_over.{{ balance_column(source) }}) >= 0.005
       {%- endfor %}
),

unbalanced as (
    select employee_id, 'roll forward' as problem
    from accounts
    where false
    {%- for source in account_sources() + ['total'] %}
       or abs(closing_{{ source }} - (opening_{{ source }} + contributions_{{ source }} + earnings_{{ source }}
                                      - forfeitures_{{ source }} - distributions_{{ source }})) >= 0.005
    {%- endfor %}
)

select * from missing_or_different
union all
select * from unbalanced
