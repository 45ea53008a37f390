"""irs_limits: the projection of IRS limits after the last published year."""
from __future__ import annotations

from simconfig.base import Section, key


class IrsLimits(Section):
    projection_index: float = key(0.025, "Yearly growth of every IRS limit after the last published year "
                                  "(dbt seed config_irs_limits_published), rounded down to the IRS step.",
                                  var="irs_limit_index", ge=-0.1, le=0.5, perturb=0.2,
                                  applies_when="a simulated year is after the last published year",
                                  test_overlay={"simulation.start_year": 2027})
