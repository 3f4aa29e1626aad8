"""Developer tools that check the package itself."""
