"""Plan renderers (text, JSON, Markdown)."""
