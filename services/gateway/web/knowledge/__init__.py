"""The knowledge base in the browser: folders, documents, previews, versions, search, must-reads."""
