"""Pure rules of the deals service: no database, web or messaging imports here."""
