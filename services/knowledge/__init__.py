"""Knowledge: folders and documents, the feed, company services and requests to departments."""
