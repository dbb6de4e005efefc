"""groundwork components: one concern per module, composed by __main__.py."""
