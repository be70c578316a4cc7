"""Importing CSV files in the browser."""
