"""Real-time serving: the scoring protocol, the local endpoint (routes, swaps, request log) and the
unpacking of logged requests into served predictions."""
