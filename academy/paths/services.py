"""Placeholder: being built."""


def home_path(user):
    return []
