"""Tests of analysis.forecasting."""
