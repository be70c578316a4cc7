"""The kinds of activity: calls and meetings take time; letters and tasks are due at a moment."""

KINDS = ("call", "meeting", "letter", "task")
TIMED = ("call", "meeting")  # a start and an end; the others a due time (start = end)
