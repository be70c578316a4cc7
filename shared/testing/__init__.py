"""Helpers for tests that need real infrastructure (Kafka, ...)."""
