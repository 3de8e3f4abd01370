/**
 * IPv4 CIDR arithmetic for the MLflow server network: parsing with every violation named, overlap
 * checks, and the subnet layout. Pure functions, so synthesis shows the exact ranges and tests can
 * pin them.
 */
export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Every reason `text` is not an IPv4 CIDR with a prefix in [minPrefix, maxPrefix]; empty when it is one. */
export function cidrViolations(text: string, range: { minPrefix: number; maxPrefix: number }): string[] {
  const match = CIDR_PATTERN.exec(text);
  if (!match) return ['must be an IPv4 CIDR such as 10.0.0.0/16'];
  const violations: string[] = [];
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255)) violations.push('has an octet above 255');
  if (prefix < range.minPrefix || prefix > range.maxPrefix) {
    violations.push(`must have a prefix length from /${range.minPrefix} to /${range.maxPrefix} (is /${prefix})`);
  }
  if (violations.length === 0) {
    const address = toNumber(octets);
    const network = prefix === 0 ? 0 : (address & mask(prefix)) >>> 0;
    if (network !== address) violations.push(`has host bits set: the network address of /${prefix} is ${formatAddress(network)}`);
  }
  return violations;
}

/** Parses a CIDR already checked with cidrViolations; throws on anything else. */
export function parseCidr(text: string): Ipv4Cidr {
  const violations = cidrViolations(text, { minPrefix: 0, maxPrefix: 32 });
  if (violations.length > 0) throw new Error(`"${text}" ${violations.join('; ')}`);
  const match = CIDR_PATTERN.exec(text)!;
  return { network: toNumber(match.slice(1, 5).map(Number)), prefix: Number(match[5]) };
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatAddress(cidr.network)}/${cidr.prefix}`;
}

export function cidrsOverlap(a: string, b: string): boolean {
  const left = parseCidr(a);
  const right = parseCidr(b);
  const shorter = Math.min(left.prefix, right.prefix);
  const common = shorter === 0 ? 0 : mask(shorter);
  return ((left.network & common) >>> 0) === ((right.network & common) >>> 0);
}

/** Terraform's cidrsubnet(): the `index`-th network of `newBits` more bits inside `cidr`. */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
  const parent = parseCidr(cidr);
  const prefix = parent.prefix + newBits;
  if (prefix > 32) throw new Error(`${cidr} has no room for ${newBits} more bits`);
  if (index < 0 || index >= 2 ** newBits) throw new Error(`${cidr} has ${2 ** newBits} subnets of /${prefix}; index ${index} is outside`);
  return formatCidr({ network: (parent.network + index * 2 ** (32 - prefix)) >>> 0, prefix });
}

/** The Amazon-provided DNS resolver of a VPC: its network address plus two. */
export function vpcResolverAddress(vpcCidr: string): string {
  return formatAddress((parseCidr(vpcCidr).network + 2) >>> 0);
}

export interface SubnetLayout {
  readonly public: readonly string[];
  readonly private: readonly string[];
  readonly isolated: readonly string[];
}

/** The smallest subnet AWS allows. */
export const MIN_SUBNET_PREFIX = 28;

/**
 * How many more prefix bits the public and isolated subnets take than the VPC (the private ones take
 * one fewer); the layout needs `vpcPrefix + this <= 28`.
 */
export function layoutExtraBits(azCount: number): number {
  return 2 + Math.ceil(Math.log2(azCount));
}

/**
 * Splits the VPC in halves and quarters: the first half for the private subnets (where the MLflow
 * tasks, training jobs and endpoints get their addresses), the third quarter for the public subnets
 * (NAT gateways only) and the fourth for the isolated database subnets. A 10.0.0.0/16 over two AZs
 * gives private /18s, public and isolated /19s.
 */
export function subnetLayout(vpcCidr: string, azCount: number): SubnetLayout {
  const slots = 2 ** Math.ceil(Math.log2(azCount));
  const bits = Math.log2(slots);
  const indexes = [...Array(azCount).keys()];
  return {
    private: indexes.map((index) => cidrSubnet(vpcCidr, 1 + bits, index)),
    public: indexes.map((index) => cidrSubnet(vpcCidr, 2 + bits, 2 * slots + index)),
    isolated: indexes.map((index) => cidrSubnet(vpcCidr, 2 + bits, 3 * slots + index)),
  };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function toNumber(octets: number[]): number {
  return octets.reduce((value, octet) => value * 256 + octet, 0) >>> 0;
}

function formatAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}
