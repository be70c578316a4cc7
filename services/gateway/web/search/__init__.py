"""The global search: one box in the top bar over every service."""
