"""The kernel every Contentum CRM service stands on: settings, db, events, bus, outbox, auth."""
