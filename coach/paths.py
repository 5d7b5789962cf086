"""Where coach keeps things per user: platformdirs' folders, or an override for each."""

from __future__ import annotations

import os
from pathlib import Path


def user_folder(kind: str, override_variable: str) -> Path:
    """platformdirs' user cache or data folder for coach, unless $override_variable names one."""
    override = os.environ.get(override_variable)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("coach") if kind == "cache" else platformdirs.user_data_dir("coach"))
