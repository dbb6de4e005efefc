"""Network: a VPC with public and private subnets per availability zone, and NAT for egress.

Subnets are carved from the VPC CIDR with `ipaddress`: the CIDR is split into the smallest power of
two blocks that holds one private and one public subnet per zone, private first. Nodes and pods
live in the private subnets; the public ones hold load balancers and NAT gateways.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


def subnet_plan(cidr: ipaddress.IPv4Network, az_count: int
                ) -> tuple[list[ipaddress.IPv4Network], list[ipaddress.IPv4Network]]:
    """(private, public) subnet CIDRs, one of each per zone, equal in size and non-overlapping."""
    blocks = list(cidr.subnets(prefixlen_diff=math.ceil(math.log2(2 * az_count))))
    return blocks[:az_count], blocks[az_count: 2 * az_count]


@dataclass
class NetworkArgs:
    cidr: ipaddress.IPv4Network
    availability_zones: Sequence[str]
    # none | single | perAz
    nat_gateways: str
    # The ELB discovery tag `kubernetes.io/cluster/<name>: shared` needs the cluster name.
    cluster_name: str
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    # Default routes of the private route tables through NAT. Nodes depend on them: without a
    # route out, a node cannot reach the EKS API or pull images and never joins the cluster.
    private_nat_routes: list[aws.ec2.Route]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("groundwork:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster_tag = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"}

        def tags(resource_name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
            return {**args.tags, "Name": resource_name, **(extra or {})}

        vpc = aws.ec2.Vpc(
            name,
            cidr_block=str(args.cidr),
            enable_dns_support=True,
            # EKS nodes register under their private DNS names; both settings are required.
            enable_dns_hostnames=True,
            tags=tags(name),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags(f"{name}-igw"),
                                          opts=child)
        public_table = aws.ec2.RouteTable(f"{name}-public", vpc_id=vpc.id,
                                          tags=tags(f"{name}-public"), opts=child)
        public_default = aws.ec2.Route(f"{name}-public-default", route_table_id=public_table.id,
                                       destination_cidr_block="0.0.0.0/0", gateway_id=gateway.id,
                                       opts=child)

        private_cidrs, public_cidrs = subnet_plan(args.cidr, len(args.availability_zones))
        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        public_associations: list[aws.ec2.RouteTableAssociation] = []
        for zone, public_cidr, private_cidr in zip(args.availability_zones, public_cidrs,
                                                   private_cidrs):
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
                          {**cluster_tag, "kubernetes.io/role/internal-elb": "1"}),
                opts=child,
            )
            public_subnets.append(public)
            private_subnets.append(private)

        nat_ids = self._nat_gateways(name, args, public_subnets, gateway, tags)
        self.private_nat_routes = []
        for index, (zone, subnet) in enumerate(zip(args.availability_zones, private_subnets)):
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
        self.register_outputs({
            "vpcId": self.vpc_id,
            "publicSubnetIds": self.public_subnet_ids,
            "privateSubnetIds": self.private_subnet_ids,
        })

    def _nat_gateways(self, name: str, args: NetworkArgs, public_subnets: list[aws.ec2.Subnet],
                      gateway: aws.ec2.InternetGateway, tags) -> list[pulumi.Output[str]]:
        """One NAT in the first zone (`single`), one per zone (`perAz`, so losing a zone does not
        cut the others off), or none."""
        count = {"none": 0, "single": 1, "perAz": len(public_subnets)}[args.nat_gateways]
        nat_ids = []
        for zone, subnet in zip(args.availability_zones[:count], public_subnets[:count]):
            address = aws.ec2.Eip(f"{name}-nat-{zone}", domain="vpc", tags=tags(f"{name}-nat-{zone}"),
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
