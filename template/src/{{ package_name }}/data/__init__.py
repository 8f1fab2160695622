"""Training data: the synthetic default source and loading any configured table."""
