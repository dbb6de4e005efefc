"""The vocabulary every layer shares: the add-on catalog, name limits, the GitOps value types, the
deep merge and ordering by data. It imports nothing else of groundwork."""
