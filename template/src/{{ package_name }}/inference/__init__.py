"""Inference: scoring with the champion."""
