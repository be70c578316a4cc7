"""The administrator's pages: people, groups, departments, pipelines."""
