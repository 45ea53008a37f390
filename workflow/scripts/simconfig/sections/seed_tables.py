"""seed_tables: a scenario's own rows for the dbt seeds of workforce assumptions (hazard
multipliers, hire ages). An empty list keeps the shipped seed; `make fit` writes these
from a sponsor's history, so a fitted scenario carries its tables in its overlay."""
from __future__ import annotations

from pydantic import Field, model_validator

from simconfig.base import KeyError_, Section, key
from simconfig.segments import read_seed

class AgeMultiplier(Section):
    age_band: str = key(..., "Age band label of dbt/seeds/config_age_bands.csv.")
    multiplier: float = key(..., "Multiplier of the hazard in this band.", ge=0, le=20)


class TenureMultiplier(Section):
    tenure_band: str = key(..., "Tenure band label of dbt/seeds/config_tenure_bands.csv.")
    multiplier: float = key(..., "Multiplier of the hazard in this band.", ge=0, le=20)


class TerminationBase(Section):
    base_rate: float = key(..., "Base termination hazard (a weight: the count comes from "
                           "workforce.total_termination_rate).", gt=0, le=10)
    level_discount_factor: float = key(..., "Hazard falls by this share per level above 1.", ge=0, le=1)
    min_level_multiplier: float = key(..., "Floor of the level multiplier.", ge=0, le=1)


class PromotionBase(Section):
    base_rate: float = key(..., "Base promotion probability.", ge=0, le=1)
    level_dampener_factor: float = key(..., "Promotion probability falls by this share per level above 1.",
                                       ge=0, le=1)


class HireAge(Section):
    hire_age: int = key(..., "Age of a hire.", ge=14, le=100)
    age_weight: float = key(..., "Relative weight of this age among hires.", ge=0)


# field name -> (dbt seed it replaces, band seed whose labels must each appear once, band column)
TABLES = {
    "termination_hazard_base": ("config_termination_hazard_base", None, None),
    "termination_hazard_age_multipliers": ("config_termination_hazard_age_multipliers", "config_age_bands",
                                           "age_band"),
    "termination_hazard_tenure_multipliers": ("config_termination_hazard_tenure_multipliers",
                                              "config_tenure_bands", "tenure_band"),
    "promotion_hazard_base": ("config_promotion_hazard_base", None, None),
    "promotion_hazard_age_multipliers": ("config_promotion_hazard_age_multipliers", "config_age_bands", "age_band"),
    "promotion_hazard_tenure_multipliers": ("config_promotion_hazard_tenure_multipliers", "config_tenure_bands",
                                            "tenure_band"),
    "new_hire_age_distribution": ("config_new_hire_age_distribution", None, None),
}
SQL_TYPES = {str: "varchar", int: "integer", float: "double"}


def _rows(description: str, single: bool = False):
    doc = f"{description} Empty: the shipped seed." + (" One row." if single else "")
    return Field(default_factory=list, description=doc, max_length=1 if single else None)


class SeedTables(Section):
    termination_hazard_base: list[TerminationBase] = _rows(
        "Rows of dbt seed config_termination_hazard_base.", single=True)
    termination_hazard_age_multipliers: list[AgeMultiplier] = _rows(
        "Rows of dbt seed config_termination_hazard_age_multipliers, one per age band.")
    termination_hazard_tenure_multipliers: list[TenureMultiplier] = _rows(
        "Rows of dbt seed config_termination_hazard_tenure_multipliers, one per tenure band.")
    promotion_hazard_base: list[PromotionBase] = _rows(
        "Rows of dbt seed config_promotion_hazard_base.", single=True)
    promotion_hazard_age_multipliers: list[AgeMultiplier] = _rows(
        "Rows of dbt seed config_promotion_hazard_age_multipliers, one per age band.")
    promotion_hazard_tenure_multipliers: list[TenureMultiplier] = _rows(
        "Rows of dbt seed config_promotion_hazard_tenure_multipliers, one per tenure band.")
    new_hire_age_distribution: list[HireAge] = _rows(
        "Rows of dbt seed config_new_hire_age_distribution (ages of hires and their weights).")

    @model_validator(mode="after")
    def _bands_complete(self):
        """A multiplier table names every band of the model once (a missing band would drop its people
        from the hazard join)."""
        for name, (_, band_seed, column) in TABLES.items():
            rows = getattr(self, name)
            if not rows or band_seed is None:
                continue
            expected = [row["band_label"] for row in read_seed(band_seed)]
            given = [getattr(row, column) for row in rows]
            if sorted(given) != sorted(expected):
                raise KeyError_(name, f"must give each band of {band_seed} once: {expected} (got {given})")
        ages = self.new_hire_age_distribution
        if ages and not sum(row.age_weight for row in ages) > 0:
            raise KeyError_("new_hire_age_distribution", "the weights must not all be 0")
        if len({row.hire_age for row in ages}) != len(ages):
            raise KeyError_("new_hire_age_distribution", "each hire_age may appear once")
        return self

    def dbt_var(self) -> dict:
        """{seed name: {columns, types, rows}} of the replaced seeds, for the macro seed_table()."""
        tables = {}
        for name, (seed, _, _) in TABLES.items():
            rows = getattr(self, name)
            if not rows:
                continue
            fields = type(rows[0]).model_fields
            tables[seed] = {
                "columns": list(fields),
                "types": [SQL_TYPES[info.annotation] for info in fields.values()],
                "rows": [[getattr(row, column) for column in fields] for row in rows],
            }
        return tables
