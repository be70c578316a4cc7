"""Planning: revenue plans per manager and client, roll-up to groups and company, approval."""
