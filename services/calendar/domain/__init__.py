"""Pure rules of the calendar service: no database, web or messaging imports here."""
