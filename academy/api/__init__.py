"""The REST API at /api/v1: personal access tokens, OpenAPI description, endpoints."""
