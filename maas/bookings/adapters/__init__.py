"""Operator adapters: how one booking leg is held, committed, released and cancelled."""
