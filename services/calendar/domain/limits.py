"""How long an activity's texts and lists may be: the API, imports and CalDAV enforce the same."""

TITLE_LENGTH = 300
NOTE_LENGTH = 5000
PLACE_LENGTH = 300
PHONE_LENGTH = 50
ZONE_LENGTH = 64
RULE_LENGTH = 500
MAX_REMINDERS = 10
MAX_DATES = 500  # exceptions (EXDATE) and extra dates (RDATE) each
MAX_MINUTES = 40320  # a reminder at most 28 days before the start
