"""A duration in words, the one way every sentence of the product says one (ages, lateness, charging
times, clock skew): under 2 h in minutes ("95 min"), then in hours ("6 h"; with the minutes when `exact`
and under 12 h: "6 h 12 min"), from 48 h in days ("3 days")."""

from __future__ import annotations

import math
from datetime import timedelta

MINUTES_UNTIL = 120  # below this a duration reads in minutes: "95 min", never "1 h 35 min" or "2 h"


def duration_words(delta: timedelta, *, exact: bool = False, round_up: bool = False) -> str:
    """`exact`: under 12 h keep the minutes, for a sentence that compares the duration with a threshold
    ("6 h 12 min ago, older than 6 h", never "6 h ago, older than 6 h"). `round_up`: a time still needed
    (charging) counts a started minute, so "33 min" is never a minute short; else whole minutes passed."""
    seconds = max(delta.total_seconds(), 0.0)
    minutes = math.ceil(seconds / 60 - 1e-9) if round_up else int(seconds // 60)
    if minutes < MINUTES_UNTIL:
        return f"{minutes} min"
    if exact and minutes < 12 * 60:
        return f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")
    hours = minutes / 60
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"
