"""Use cases: commands and queries over a unit of work. Each command commits explicitly."""
