"""Clusters groundwork did not build, reached through a kubeconfig context."""
