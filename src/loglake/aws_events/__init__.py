"""Thin read-only wrappers over the AWS event shapes loglake's handlers receive (one shape per module)."""
