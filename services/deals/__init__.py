"""Deals: companies, contacts, pipelines, stages and their requirements, deals and their timeline."""
