"""Feature tables: computed by the features job, joined point-in-time into training and scoring sets, and
published to the online store."""
