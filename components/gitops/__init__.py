"""The delivery layer: the engine-agnostic bootstrap and cluster bridge, the shared engine install,
Argo CD and Flux (pure manifest builders beside the component that wraps them), and GitOps, which
picks the engine."""
