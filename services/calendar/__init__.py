"""Calendar: activities, reminders, outcome reports and the iCalendar feeds."""
