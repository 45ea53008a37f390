-- Experienced terminations allocated to levels by headcount share; the slots lost to
-- flooring go to the largest remainders (then the lowest level), so the sum is exact.
with needs as (
    select * from {{ ref('int_workforce_needs') }}
),

level_headcount as (
    select level_id, count(*) as headcount
    from {{ ref('int_workforce_start') }}
    group by level_id
),

floored as (
    select
        level_headcount.level_id,
        level_headcount.headcount,
        (needs.experienced_terminations * level_headcount.headcount) // needs.start_headcount as floor_quota,
        (needs.experienced_terminations * level_headcount.headcount) % needs.start_headcount as remainder,
        needs.experienced_terminations
    from level_headcount
    cross join needs
),

ranked as (
    select
        *,
        experienced_terminations - sum(floor_quota) over () as leftover,
        row_number() over (order by remainder desc, level_id) as remainder_rank
    from floored
)

select
    level_id,
    headcount,
    floor_quota + case when remainder_rank <= leftover then 1 else 0 end as termination_quota
from ranked
