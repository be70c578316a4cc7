"""Revenue plans in the browser: the grid, the review, the group tree, the settings."""
