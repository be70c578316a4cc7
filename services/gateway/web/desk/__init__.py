"""The desk: the start page."""
