"""Retrieval metrics and reports."""
