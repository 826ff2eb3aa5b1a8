"""Placeholder: being built."""


def learner_overview(user):
    return {}
