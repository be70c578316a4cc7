"""Deals, companies and contacts in the browser."""
