"""What the planning service does, one function per use case, each in one unit of work."""
