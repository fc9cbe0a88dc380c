"""The training loop, optimiser, checkpoints and logs."""
