"""Pure rules of the gateway: no database, web or messaging imports here."""
