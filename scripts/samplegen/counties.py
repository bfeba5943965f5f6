"""The sample counties by ``--county`` name."""

from __future__ import annotations

from .deqing import DEQING
from .profiles import Profile
from .tiantai import TIANTAI

PROFILES: dict[str, Profile] = {"tiantai": TIANTAI, "deqing": DEQING}
