"""What the gateway does with people and credentials, one function per use case."""
