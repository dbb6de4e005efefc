"""The VPC range follows `ipaddress` semantics, and the check agrees with its own message: a /16
to /24 inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10 becomes the VPC, and any
other range (loopback, link-local, unspecified, multicast, reserved, benchmarking, public) is
refused with a message that lists exactly those ranges."""

from __future__ import annotations

import ipaddress

from hypothesis import event, given
from hypothesis import strategies as st

from components.config import ConfigError
from tests.config.support import examples
from tools import harness

# Written out here rather than taken from the program: RFC 1918 and RFC 6598 shared space, the
# ranges AWS documents for a VPC.
VPC_RANGES = [ipaddress.IPv4Network(text) for text in
              ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")]
# Ranges `ipaddress` calls private or special that a VPC must not use, and edges of the allowed.
NEIGHBOURS = ["127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4",
              "198.18.0.0/15", "192.0.0.0/24", "192.0.2.0/24", "100.64.0.0/10", "100.127.0.0/16",
              "100.128.0.0/16", "172.15.0.0/16", "172.32.0.0/16", "10.255.0.0/16",
              "192.169.0.0/16", "8.8.0.0/16"]


@st.composite
def vpc_ranges(draw) -> ipaddress.IPv4Network:
    prefix = draw(st.integers(16, 24), label="prefix")
    where = draw(st.sampled_from(["inside", "near a boundary", "anywhere"]), label="where")
    if where == "anywhere":
        address = ipaddress.IPv4Address(draw(st.integers(0, 2**32 - 1)))
    else:
        base = (draw(st.sampled_from(VPC_RANGES)) if where == "inside"
                else ipaddress.IPv4Network(draw(st.sampled_from(NEIGHBOURS))))
        address = base.network_address + draw(st.integers(0, base.num_addresses - 1))
    return ipaddress.IPv4Network(f"{address}/{prefix}", strict=False)


@examples(30)
@given(cidr=vpc_ranges())
def test_vpc_cidr_follows_ipaddress_semantics(cidr):
    allowed = any(cidr.subnet_of(space) for space in VPC_RANGES)
    try:
        run = harness.run("dev", {"network.cidr": str(cidr)})
    except ConfigError as error:
        event("refused")
        assert not allowed, f"{cidr} is inside {VPC_RANGES}: {error.problems}"
        [problem] = [p for p in error.problems if p.startswith("groundwork:network.cidr: ")]
        # The message lists what is allowed, and that is exactly what the check allows.
        assert all(str(space) in problem for space in VPC_RANGES), problem
        return
    event("accepted")
    assert allowed, f"{cidr} accepted"
    [vpc] = run.by_type("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == str(cidr)


@examples(20)
@given(prefix=st.integers(0, 32), address=st.sampled_from(
    ["127.0.0.1", "169.254.0.0", "224.0.0.0", "240.0.0.0", "0.0.0.0", "203.0.113.0",
     "198.51.100.0", "52.94.0.0"]))
def test_public_endpoint_cidrs_follow_ipaddress_semantics(prefix, address):
    """The API endpoint's allowed CIDRs: no loopback, link-local, multicast, reserved or
    unspecified range (0.0.0.0/0 itself means anywhere)."""
    cidr = ipaddress.IPv4Network(f"{address}/{prefix}", strict=False)
    special = not (cidr.prefixlen == 0) and any(
        getattr(cidr, kind) for kind in ("is_loopback", "is_link_local", "is_multicast",
                                         "is_reserved", "is_unspecified"))
    try:
        harness.run("dev", {"cluster.publicAccessCidrs": [str(cidr)]})
    except ConfigError as error:
        assert special, error.problems
        assert any(p.startswith("groundwork:cluster.publicAccessCidrs[0]: ")
                   for p in error.problems)
    else:
        assert not special, f"{cidr} accepted as a public access CIDR"
