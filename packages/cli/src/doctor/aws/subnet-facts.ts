import {
  type EC2Client,
  type Filter,
  paginateDescribeRouteTables,
  paginateDescribeSubnets,
  type Route,
  type RouteTable,
} from "@aws-sdk/client-ec2";
import type { SubnetFacts } from "../aws-account";
import { collectPages } from "./sdk-calls";

/** The target of a route that is neither an internet nor a NAT gateway, most telling first. */
const otherTarget = (route: Route): string =>
  route.TransitGatewayId ??
  route.VpcPeeringConnectionId ??
  route.InstanceId ??
  route.NetworkInterfaceId ??
  route.GatewayId ??
  route.LocalGatewayId ??
  route.CarrierGatewayId ??
  route.CoreNetworkArn ??
  route.OdbNetworkArn ??
  "unknown";

/** Where a table's 0.0.0.0/0 route goes; a blackhole route (its target gone) goes nowhere. */
export const defaultRoute = (table: RouteTable | undefined): SubnetFacts["defaultRoute"] => {
  const route = table?.Routes?.find((candidate) => candidate.DestinationCidrBlock === "0.0.0.0/0");
  if (!route || route.State === "blackhole") return { kind: "none" };
  if (route.GatewayId?.startsWith("igw-"))
    return { kind: "internet-gateway", target: route.GatewayId };
  if (route.NatGatewayId) return { kind: "nat-gateway", target: route.NatGatewayId };
  return { kind: "other", target: otherTarget(route) };
};

const routeTables = (ec2: EC2Client, filters: Filter[]): Promise<RouteTable[]> =>
  collectPages(
    paginateDescribeRouteTables({ client: ec2 }, { Filters: filters }),
    (page) => page.RouteTables,
  );

/** The tables explicitly associated with the subnets, by subnet id. */
const ownTables = async (ec2: EC2Client, subnetIds: string[]) => {
  const bySubnet = new Map<string, RouteTable>();
  const tables = await routeTables(ec2, [{ Name: "association.subnet-id", Values: subnetIds }]);
  for (const table of tables)
    for (const association of table.Associations ?? [])
      if (association.SubnetId) bySubnet.set(association.SubnetId, table);
  return bySubnet;
};

/** The VPCs' main tables, by VPC id. */
const mainTables = async (ec2: EC2Client, vpcIds: string[]) => {
  const byVpc = new Map<string, RouteTable>();
  if (vpcIds.length === 0) return byVpc;
  const tables = await routeTables(ec2, [
    { Name: "vpc-id", Values: vpcIds },
    { Name: "association.main", Values: ["true"] },
  ]);
  // Checked again here: an EC2-compatible endpoint may ignore a filter.
  for (const table of tables)
    if (table.Associations?.some((association) => association.Main))
      byVpc.set(table.VpcId ?? "", table);
  return byVpc;
};

/**
 * The subnets among `subnetIds` that exist, once each in that order, with their default routes. The ids go
 * in a filter: as SubnetIds, one unknown id would fail the whole call. A subnet with no table of
 * its own uses its VPC's main table (DescribeRouteTables does not list implicit associations).
 */
export const readSubnets = async (
  ec2: EC2Client,
  subnetIds: readonly string[],
): Promise<SubnetFacts[]> => {
  const wanted = [...new Set(subnetIds)];
  if (wanted.length === 0) return [];
  const described = await collectPages(
    paginateDescribeSubnets({ client: ec2 }, { Filters: [{ Name: "subnet-id", Values: wanted }] }),
    (page) => page.Subnets,
  );
  const subnets = wanted.flatMap((id) => described.filter((subnet) => subnet.SubnetId === id));
  if (subnets.length === 0) return [];
  const found = subnets.map((subnet) => subnet.SubnetId ?? "");
  const own = await ownTables(ec2, found);
  const vpcsWithoutOwn = subnets
    .filter((subnet) => !own.has(subnet.SubnetId ?? ""))
    .map((subnet) => subnet.VpcId ?? "");
  const main = await mainTables(ec2, [...new Set(vpcsWithoutOwn)]);
  return subnets.map((subnet) => {
    const subnetId = subnet.SubnetId ?? "";
    const vpcId = subnet.VpcId ?? "";
    return {
      subnetId,
      zone: subnet.AvailabilityZone ?? "",
      vpcId,
      mapPublicIpOnLaunch: subnet.MapPublicIpOnLaunch ?? false,
      defaultRoute: defaultRoute(own.get(subnetId) ?? main.get(vpcId)),
    };
  });
};
