"""Demo data: a city's worth of units, accounts, learners and histories (used by no feature)."""
