"""Manifests, the feature cache, batching."""
