"""The calendar in the browser."""
