"""The Contentum CRM services: deals, calendar, planning, knowledge and the gateway."""
