"""A stack's place in a fleet, as the config reads it (`fleet.role`) and the bridge tells the
GitOps tree (`fleet_role` label): a standalone cluster, a hub whose engine also delivers to
spokes, or a spoke whose add-ons and fleet apps its hub delivers."""

STANDALONE, HUB, SPOKE = "standalone", "hub", "spoke"
FLEET_ROLES = (STANDALONE, HUB, SPOKE)
# The labels the bridge itself puts on a cluster, beside `enable_<addon>`: a spoke's own
# `fleet.labels`, which hub apps select spokes by, may not take their names.
BRIDGE_LABELS = ("environment", "fleet_role")
