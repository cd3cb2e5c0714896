"""The forecast report for one target (being written)."""
