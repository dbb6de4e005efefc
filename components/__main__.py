"""Entry point of the groundwork component package: serves every component over the Pulumi
provider protocol through the Python SDK's component provider host."""

import sys
from pathlib import Path

# The plugin runs from this folder; its modules import each other as `components.*`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider.experimental import component_provider_host

from components.package import COMPONENTS, NAME, VERSION

if __name__ == "__main__":
    component_provider_host(COMPONENTS, name=NAME, version=VERSION)
