"""Latent-space analysis of a model on a manifest: 2-D maps, concept spread across sign languages,
analogy probes and sign-language identification from language prompts alone."""
