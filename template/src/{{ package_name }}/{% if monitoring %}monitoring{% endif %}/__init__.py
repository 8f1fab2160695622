"""Monitoring: drift and performance of the predictions per time window, alerts, retraining, the report."""
