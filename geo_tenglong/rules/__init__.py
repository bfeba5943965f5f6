"""County rulesets: every number that is a county's choice, with the clause it comes from.

Topic modules (``efficiency``, ``idle``, ``corners`` …) define the rule specifications; the TOML
files beside them (``tiantai-2022.toml``, ``deqing-2021.toml``) fill them in.
"""

from .loader import Ruleset, Target, builtin_rulesets, load_ruleset
from .schema import RuleSpec, bound, rule_spec

__all__ = ["Ruleset", "RuleSpec", "Target", "bound", "builtin_rulesets", "load_ruleset", "rule_spec"]
