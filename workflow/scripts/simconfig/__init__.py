"""The simulation config: one pydantic model (sections/), its loader (unknown keys, peer
keys, errors naming file and key), the dbt vars it becomes, and the reference exports."""
from simconfig.dbt_vars import dbt_vars
from simconfig.loader import ConfigError, LoadedConfig, deep_merge, flatten, load, load_yaml, validate, validate_files
from simconfig.model import SimulationConfig

__all__ = ["ConfigError", "LoadedConfig", "SimulationConfig", "dbt_vars", "deep_merge", "flatten", "load", "load_yaml",
           "validate", "validate_files"]
