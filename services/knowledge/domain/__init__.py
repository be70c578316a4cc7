"""Pure rules of the knowledge service: no database, web or messaging imports here."""
