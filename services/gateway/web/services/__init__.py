"""Company services and requests to departments: the catalogue and its designer, requests and
their steps, the queue, and requests shown on deals, companies and the desk."""
