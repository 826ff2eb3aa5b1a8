"""xAPI 1.0.3: learning events as statements, sent to a Learning Record Store (README "xAPI")."""
