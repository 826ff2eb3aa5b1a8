"""Placeholder: being built."""


def issue_certificate(user, course):
    """Issue (once) the certificate for a completed course. Returns the Certificate or None."""
    return None
