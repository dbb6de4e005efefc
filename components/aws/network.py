"""Network: a VPC with public and private subnets per availability zone, and NAT for egress.

Subnets are carved from the VPC CIDR with `ipaddress`: the CIDR is split into the smallest power of
two blocks that holds one private and one public subnet per zone, private first. Nodes and pods
live in the private subnets; the public ones hold load balancers and NAT gateways.
"""

import ipaddress
import math
from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.common.ordering import after
from components.common.renames import renamed_from

TYPE = "groundwork:index:Network"
NAT_STRATEGIES = ("none", "single", "perAz")


def subnet_plan(cidr: ipaddress.IPv4Network, az_count: int
                ) -> tuple[list[ipaddress.IPv4Network], list[ipaddress.IPv4Network]]:
    """(private, public) subnet CIDRs, one of each per zone, equal in size and non-overlapping."""
    blocks = list(cidr.subnets(prefixlen_diff=math.ceil(math.log2(2 * az_count))))
    return blocks[:az_count], blocks[az_count: 2 * az_count]


class NetworkArgs(TypedDict):
    """Inputs of Network."""

    cidr: str
    """IPv4 CIDR of the VPC, e.g. 10.0.0.0/16; split into one private and one public subnet per
    zone."""
    availability_zones: list[str]
    """Zones to spread the subnets over, e.g. us-east-1a and us-east-1b."""
    nat_gateways: str
    """`none`, `single` (one NAT in the first zone) or `perAz` (one per zone)."""
    cluster_name: str
    """The EKS cluster that will use the VPC: its load balancer discovery tags name it."""
    karpenter_discovery: NotRequired[bool]
    """Tag the private subnets `karpenter.sh/discovery: <cluster>`, where the default
    EC2NodeClass launches Karpenter's nodes."""
    tags: NotRequired[dict[str, str]]
    """Tags for every resource."""
    protect: NotRequired[bool]
    """Protect the VPC from deletion."""


class Network(pulumi.ComponentResource):
    """A VPC with public and private subnets per availability zone, and NAT for egress."""

    vpc_id: pulumi.Output[str]
    """The VPC's id."""
    public_subnet_ids: list[pulumi.Output[str]]
    """Public subnets, one per zone: load balancers and NAT gateways."""
    private_subnet_ids: list[pulumi.Output[str]]
    """Private subnets, one per zone: the control plane's network interfaces, nodes and pods."""
    node_subnet_ids: pulumi.Output[list[str]]
    """The private subnets, resolved only once their NAT routes exist. Node groups take these:
    without a route out, a node cannot reach the EKS API or pull images and never joins the
    cluster, and on destroy the way out stays until the nodes are gone."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, renamed_from("groundwork:network:Network", opts))
        cidr = ipaddress.IPv4Network(args["cidr"])
        zones = list(args["availability_zones"])
        if args["nat_gateways"] not in NAT_STRATEGIES:
            raise ValueError(f"Network: nat_gateways must be one of {', '.join(NAT_STRATEGIES)}; "
                             f"got {args['nat_gateways']!r}")
        child = pulumi.ResourceOptions(parent=self)
        cluster_tag = {f"kubernetes.io/cluster/{args['cluster_name']}": "shared"}
        discovery = ({"karpenter.sh/discovery": args["cluster_name"]}
                     if args.get("karpenter_discovery") else {})
        base_tags = args.get("tags") or {}

        def tags(resource_name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
            return {**base_tags, "Name": resource_name, **(extra or {})}

        vpc = aws.ec2.Vpc(
            name,
            cidr_block=str(cidr),
            enable_dns_support=True,
            # EKS nodes register under their private DNS names; both settings are required.
            enable_dns_hostnames=True,
            tags=tags(name),
            opts=pulumi.ResourceOptions(parent=self, protect=args.get("protect", False)),
        )
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags(f"{name}-igw"),
                                          opts=child)
        public_table = aws.ec2.RouteTable(f"{name}-public", vpc_id=vpc.id,
                                          tags=tags(f"{name}-public"), opts=child)
        public_default = aws.ec2.Route(f"{name}-public-default", route_table_id=public_table.id,
                                       destination_cidr_block="0.0.0.0/0", gateway_id=gateway.id,
                                       opts=child)

        private_cidrs, public_cidrs = subnet_plan(cidr, len(zones))
        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        public_associations: list[aws.ec2.RouteTableAssociation] = []
        for zone, public_cidr, private_cidr in zip(zones, public_cidrs,
                                                   private_cidrs, strict=True):
            public = aws.ec2.Subnet(
                f"{name}-public-{zone}",
                vpc_id=vpc.id,
                cidr_block=str(public_cidr),
                availability_zone=zone,
                tags=tags(f"{name}-public-{zone}", {**cluster_tag, "kubernetes.io/role/elb": "1"}),
                opts=child,
            )
            public_associations.append(aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}", subnet_id=public.id, route_table_id=public_table.id,
                opts=child))
            private = aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                cidr_block=str(private_cidr),
                availability_zone=zone,
                tags=tags(f"{name}-private-{zone}",
                          {**cluster_tag, "kubernetes.io/role/internal-elb": "1", **discovery}),
                opts=child,
            )
            public_subnets.append(public)
            private_subnets.append(private)

        nat_ids = self._nat_gateways(name, zones, args["nat_gateways"], public_subnets, gateway,
                                     tags)
        # Default routes of the private route tables through NAT.
        self.private_nat_routes: list[aws.ec2.Route] = []
        for index, (zone, subnet) in enumerate(zip(zones, private_subnets, strict=True)):
            table = aws.ec2.RouteTable(f"{name}-private-{zone}", vpc_id=vpc.id,
                                       tags=tags(f"{name}-private-{zone}"), opts=child)
            association = aws.ec2.RouteTableAssociation(f"{name}-private-{zone}",
                                                        subnet_id=subnet.id,
                                                        route_table_id=table.id, opts=child)
            if nat_ids:
                self.private_nat_routes.append(aws.ec2.Route(
                    f"{name}-private-{zone}-default",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat_ids[index % len(nat_ids)],
                    # The rest of the way out as well: a destroy then keeps it until the nodes are
                    # gone, so the load balancer controller can still reach the AWS API to delete
                    # the load balancers of the apps being removed.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[
                        association, public_default, *public_associations]),
                ))

        self.vpc_id = vpc.id
        self.public_subnet_ids = [subnet.id for subnet in public_subnets]
        self.private_subnet_ids = [subnet.id for subnet in private_subnets]
        self.node_subnet_ids = after(pulumi.Output.all(*self.private_subnet_ids),
                                     [route.id for route in self.private_nat_routes])
        self.register_outputs({
            "vpcId": self.vpc_id,
            "publicSubnetIds": self.public_subnet_ids,
            "privateSubnetIds": self.private_subnet_ids,
            "nodeSubnetIds": self.node_subnet_ids,
        })

    def _nat_gateways(self, name: str, zones: list[str], strategy: str,
                      public_subnets: list[aws.ec2.Subnet], gateway: aws.ec2.InternetGateway,
                      tags) -> list[pulumi.Output[str]]:
        """One NAT in the first zone (`single`), one per zone (`perAz`, so losing a zone does not
        cut the others off), or none."""
        count = {"none": 0, "single": 1, "perAz": len(public_subnets)}[strategy]
        nat_ids = []
        for zone, subnet in zip(zones[:count], public_subnets[:count], strict=True):
            address = aws.ec2.Eip(f"{name}-nat-{zone}", domain="vpc",
                                  tags=tags(f"{name}-nat-{zone}"),
                                  opts=pulumi.ResourceOptions(parent=self))
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{zone}",
                allocation_id=address.id,
                subnet_id=subnet.id,
                tags=tags(f"{name}-nat-{zone}"),
                # A NAT gateway only forwards once the VPC has its internet gateway attached.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
            )
            nat_ids.append(nat.id)
        return nat_ids
