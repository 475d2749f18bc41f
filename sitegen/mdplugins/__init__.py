"""markdown-it plugins, one per Markdown feature; per-page results travel in `env`."""
