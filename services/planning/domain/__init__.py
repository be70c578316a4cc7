"""Pure rules of the planning service: no database, web or messaging imports here."""
