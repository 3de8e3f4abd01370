import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones/index.js';
import { Eip } from '@cdktf/provider-aws/lib/eip/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway/index.js';
import { Route } from '@cdktf/provider-aws/lib/route/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import type { ResourceNamer } from '../../core/naming.js';
import { throwIfViolations } from '../../core/errors.js';
import { cidrViolations, layoutExtraBits, MIN_SUBNET_PREFIX, parseCidr, subnetLayout, vpcResolverAddress, type SubnetLayout } from './cidr.js';

export interface MlflowNetworkProps {
  /** Prefixes every Name tag (`<project>-<env>-…`). */
  readonly namer: ResourceNamer;
  /** The region, for the S3 gateway endpoint's service name. */
  readonly region: string;
  /** @default '10.0.0.0/16' */
  readonly cidr?: string;
  /** How many availability zones the subnets span. @default 2 — the least an ALB and an RDS subnet group accept */
  readonly availabilityZones?: number;
  /** @default false — one NAT gateway in the first AZ; private subnets of other AZs lose egress if that AZ fails */
  readonly natGatewayPerAz?: boolean;
}

/**
 * A VPC over `availabilityZones` AZs with three tiers of subnets: public (NAT gateways only),
 * private (MLflow tasks, training jobs, endpoints; egress through NAT) and isolated (the database; no
 * route out at all). An S3 gateway endpoint keeps artifact traffic off the NAT gateways. Every
 * resource names its own security group; the VPC's default group is left unmanaged, because adopting
 * it means tagging a group this stack did not create, which the GitHub Actions role may not do.
 */
export class MlflowNetwork extends Construct {
  readonly vpcId: string;
  readonly vpcCidr: string;
  /** The Amazon-provided DNS resolver (VPC network + 2), for VPN clients. */
  readonly resolverAddress: string;
  readonly layout: SubnetLayout;
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  readonly isolatedSubnetIds: string[];
  readonly s3EndpointId: string;

  constructor(scope: Construct, id: string, props: MlflowNetworkProps) {
    super(scope, id);
    const cidr = props.cidr ?? '10.0.0.0/16';
    const azCount = props.availabilityZones ?? 2;
    const natPerAz = props.natGatewayPerAz ?? false;
    validate(cidr, azCount);

    const tag = (...parts: string[]) => [props.namer.prefix, ...parts].join('-');
    this.vpcCidr = cidr;
    this.resolverAddress = vpcResolverAddress(cidr);
    this.layout = subnetLayout(cidr, azCount);
    const zones = new DataAwsAvailabilityZones(this, 'zones', { state: 'available' });
    // Read once: a zone AWS adds or drops later shifts this list, and must not move (replace) a subnet.
    const zone = (index: number) => Fn.element(zones.names, index);

    const vpc = new Vpc(this, 'vpc', {
      cidrBlock: cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: tag('vpc') },
    });
    this.vpcId = vpc.id;
    const gateway = new InternetGateway(this, 'internet-gateway', { vpcId: vpc.id, tags: { Name: tag('igw') } });

    const publicTable = new RouteTable(this, 'public-routes', { vpcId: vpc.id, tags: { Name: tag('public') } });
    new Route(this, 'public-default-route', { routeTableId: publicTable.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: gateway.id });
    const publicSubnets = this.layout.public.map((block, index) => {
      const subnet = new Subnet(this, `public-subnet-${index}`, {
        vpcId: vpc.id,
        cidrBlock: block,
        availabilityZone: zone(index),
        lifecycle: { ignoreChanges: ['availability_zone'] },
        mapPublicIpOnLaunch: false,
        tags: { Name: tag('public', String(index + 1)), tier: 'public' },
      });
      new RouteTableAssociation(this, `public-subnet-${index}-routes`, { subnetId: subnet.id, routeTableId: publicTable.id });
      return subnet;
    });

    const natGateways = publicSubnets.slice(0, natPerAz ? azCount : 1).map((subnet, index) => {
      const address = new Eip(this, `nat-address-${index}`, { domain: 'vpc', tags: { Name: tag('nat', String(index + 1)) } });
      return new NatGateway(this, `nat-gateway-${index}`, {
        allocationId: address.id,
        subnetId: subnet.id,
        tags: { Name: tag('nat', String(index + 1)) },
        dependsOn: [gateway],
      });
    });

    const privateTables: RouteTable[] = [];
    const privateSubnets = this.layout.private.map((block, index) => {
      const subnet = new Subnet(this, `private-subnet-${index}`, {
        vpcId: vpc.id,
        cidrBlock: block,
        availabilityZone: zone(index),
        lifecycle: { ignoreChanges: ['availability_zone'] },
        tags: { Name: tag('private', String(index + 1)), tier: 'private' },
      });
      const table = new RouteTable(this, `private-routes-${index}`, {
        vpcId: vpc.id,
        tags: { Name: tag('private', String(index + 1)) },
      });
      new Route(this, `private-default-route-${index}`, {
        routeTableId: table.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: natGateways[natPerAz ? index : 0].id,
      });
      new RouteTableAssociation(this, `private-subnet-${index}-routes`, { subnetId: subnet.id, routeTableId: table.id });
      privateTables.push(table);
      return subnet;
    });

    const isolatedTable = new RouteTable(this, 'isolated-routes', { vpcId: vpc.id, tags: { Name: tag('isolated') } });
    const isolatedSubnets = this.layout.isolated.map((block, index) => {
      const subnet = new Subnet(this, `isolated-subnet-${index}`, {
        vpcId: vpc.id,
        cidrBlock: block,
        availabilityZone: zone(index),
        lifecycle: { ignoreChanges: ['availability_zone'] },
        tags: { Name: tag('isolated', String(index + 1)), tier: 'isolated' },
      });
      new RouteTableAssociation(this, `isolated-subnet-${index}-routes`, { subnetId: subnet.id, routeTableId: isolatedTable.id });
      return subnet;
    });

    const s3Endpoint = new VpcEndpoint(this, 's3-endpoint', {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: [...privateTables.map((table) => table.id), isolatedTable.id],
      tags: { Name: tag('s3') },
    });

    this.publicSubnetIds = publicSubnets.map((subnet) => subnet.id);
    this.privateSubnetIds = privateSubnets.map((subnet) => subnet.id);
    this.isolatedSubnetIds = isolatedSubnets.map((subnet) => subnet.id);
    this.s3EndpointId = s3Endpoint.id;
  }
}

function validate(cidr: string, azCount: number): void {
  const violations: string[] = [];
  if (!Number.isInteger(azCount) || azCount < 2 || azCount > 6) {
    violations.push(`availabilityZones=${azCount}: must be a whole number from 2 to 6 (an ALB and an RDS subnet group need two AZs)`);
  }
  const cidrProblems = cidrViolations(cidr, { minPrefix: 16, maxPrefix: 24 });
  for (const problem of cidrProblems) violations.push(`cidr="${cidr}" ${problem}`);
  if (cidrProblems.length === 0 && violations.length === 0) {
    const smallest = parseCidr(cidr).prefix + layoutExtraBits(azCount);
    if (smallest > MIN_SUBNET_PREFIX) {
      violations.push(`cidr="${cidr}" is too small for ${azCount} AZs: its subnets would be /${smallest}, AWS allows /${MIN_SUBNET_PREFIX} at the smallest`);
    }
  }
  throwIfViolations('MlflowNetwork', violations);
}
