"""Training: hyperparameter search, the final fit, explanations and registration."""
