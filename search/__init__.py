"""threadsearch: full-text and faceted search over discussion threads."""
