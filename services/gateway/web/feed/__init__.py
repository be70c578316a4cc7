"""The feed ("taśma"): posts, comments and mentions, live in the page."""
