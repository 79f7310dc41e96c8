"""GBFS (General Bikeshare Feed Specification) v1.0-v3.0: systems registered by a
discovery URL (polled) or by files the operator pushes; live availability and history."""
