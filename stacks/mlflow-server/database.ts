import { DataResource, Fn } from 'cdktf';
import { Construct } from 'constructs';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance/index.js';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { SecurityGroupRule } from '@cdktf/provider-aws/lib/security-group-rule/index.js';
import type { ResourceNamer } from '../../core/naming.js';
import { throwIfViolations } from '../../core/errors.js';

export type DatabaseEngine = 'postgres' | 'mysql';

/**
 * What each engine needs: its port, the version used when none is set, and the SQLAlchemy scheme
 * MLflow's server takes, naming the driver the server image installs (SQLAlchemy 2.1 made psycopg 3
 * the default of a bare postgresql://, and the image has psycopg2).
 */
export const DATABASE_ENGINES: Record<DatabaseEngine, { port: number; defaultVersion: string; uriScheme: string }> = {
  postgres: { port: 5432, defaultVersion: '17', uriScheme: 'postgresql+psycopg2' },
  mysql: { port: 3306, defaultVersion: '8.4', uriScheme: 'mysql+pymysql' },
};

export interface MlflowDatabaseProps {
  readonly namer: ResourceNamer;
  readonly vpcId: string;
  /** The isolated subnets (no route out), in at least two AZs. */
  readonly subnetIds: string[];
  /** @default 'postgres' */
  readonly engine?: DatabaseEngine;
  /** @default DATABASE_ENGINES[engine].defaultVersion — '17' for postgres, '8.4' for mysql */
  readonly engineVersion?: string | null;
  /** @default 'db.t4g.micro' */
  readonly instanceClass?: string;
  /** @default 20 */
  readonly allocatedStorageGib?: number;
  /** @default 7 */
  readonly backupRetentionDays?: number;
  /** @default true — the database cannot be deleted until this is switched off and applied */
  readonly deletionProtection?: boolean;
  /**
   * Take a final snapshot when the database is destroyed, named `<project>-<env>-mlflow-final-<UTC time the database's stack
   * was created>`, so the snapshot of one removal never collides with the next one's. @default true
   */
  readonly finalSnapshot?: boolean;
  /** @default false */
  readonly multiAz?: boolean;
}

/** The MLflow backend store's database and user name. */
export const DATABASE_NAME = 'mlflow';
export const DATABASE_USER = 'mlflow';

/**
 * The MLflow backend store: an RDS instance in the isolated subnets, storage encrypted, never
 * publicly accessible, its master password generated and kept by RDS in Secrets Manager (so no
 * password is in Terraform's configuration or state). Its security group admits nothing until
 * `allowDefaultPortFrom` names a group (the MLflow tasks').
 */
export class MlflowDatabase extends Construct {
  readonly engine: DatabaseEngine;
  readonly address: string;
  readonly port: number;
  readonly databaseName = DATABASE_NAME;
  /** The ARN of the RDS-managed secret (JSON with `username` and `password`). */
  readonly masterUserSecretArn: string;
  readonly securityGroupId: string;
  readonly identifier: string;

  constructor(scope: Construct, id: string, props: MlflowDatabaseProps) {
    super(scope, id);
    const engine = props.engine ?? 'postgres';
    const instanceClass = props.instanceClass ?? 'db.t4g.micro';
    const storage = props.allocatedStorageGib ?? 20;
    const backupDays = props.backupRetentionDays ?? 7;
    const deletionProtection = props.deletionProtection ?? true;
    const finalSnapshot = props.finalSnapshot ?? true;
    const violations: string[] = [];
    if (!(engine in DATABASE_ENGINES)) violations.push(`engine="${engine}": allowed are ${Object.keys(DATABASE_ENGINES).join(', ')}`);
    if (!/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(instanceClass)) violations.push(`instanceClass="${instanceClass}": must look like db.t4g.micro`);
    if (!Number.isInteger(storage) || storage < 20 || storage > 65536) violations.push(`allocatedStorageGib=${storage}: must be a whole number from 20 to 65536`);
    if (!Number.isInteger(backupDays) || backupDays < 1 || backupDays > 35) {
      violations.push(`backupRetentionDays=${backupDays}: must be from 1 to 35 (0 would switch backups off)`);
    }
    if (props.subnetIds.length < 2) violations.push(`subnetIds has ${props.subnetIds.length} subnet(s): an RDS subnet group needs two AZs`);
    throwIfViolations('MlflowDatabase', violations);
    const settings = DATABASE_ENGINES[engine];
    this.identifier = props.namer.name('rdsIdentifier', 'mlflow');

    const securityGroup = new SecurityGroup(this, 'security-group', {
      name: props.namer.name('securityGroup', 'mlflow-db'),
      description: 'MLflow backend store: admits only the MLflow tasks',
      vpcId: props.vpcId,
      egress: [],
      tags: { Name: props.namer.name('securityGroup', 'mlflow-db') },
    });
    const subnetGroup = new DbSubnetGroup(this, 'subnet-group', {
      name: props.namer.name('rdsIdentifier', 'mlflow'),
      description: 'Isolated subnets of the MLflow backend store',
      subnetIds: props.subnetIds,
    });
    // The time stamp is taken once, when the stack first creates the database, and then kept
    // (ignore_changes), so plans show no change; a removal and a new apply make a new stamp.
    const finalSnapshotStamp = finalSnapshot
      ? new DataResource(this, 'final-snapshot-stamp', {
          input: { utc: Fn.formatdate('YYYYMMDDhhmmss', Fn.timestamp()) },
          lifecycle: { ignoreChanges: ['input'] },
        })
      : undefined;
    const instance = new DbInstance(this, 'instance', {
      identifier: this.identifier,
      engine,
      engineVersion: props.engineVersion ?? settings.defaultVersion,
      autoMinorVersionUpgrade: true,
      instanceClass,
      allocatedStorage: storage,
      storageType: 'gp3',
      storageEncrypted: true,
      dbName: DATABASE_NAME,
      username: DATABASE_USER,
      manageMasterUserPassword: true,
      port: settings.port,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [securityGroup.id],
      publiclyAccessible: false,
      multiAz: props.multiAz ?? false,
      backupRetentionPeriod: backupDays,
      copyTagsToSnapshot: true,
      deletionProtection,
      skipFinalSnapshot: !finalSnapshot,
      finalSnapshotIdentifier: finalSnapshotStamp ? `${props.namer.name('rdsIdentifier', 'mlflow-final')}-${finalSnapshotStamp.output.lookup('utc')}` : undefined,
    });
    this.engine = engine;
    this.address = instance.address;
    this.port = settings.port;
    this.masterUserSecretArn = instance.masterUserSecret.get(0).secretArn;
    this.securityGroupId = securityGroup.id;
  }

  /** Admits `securityGroupId` on the database port; the only way in. */
  allowDefaultPortFrom(securityGroupId: string, description: string): void {
    const id = `ingress-${this.node.children.filter((child) => child instanceof SecurityGroupRule).length}`;
    new SecurityGroupRule(this, id, {
      type: 'ingress',
      securityGroupId: this.securityGroupId,
      sourceSecurityGroupId: securityGroupId,
      protocol: 'tcp',
      fromPort: this.port,
      toPort: this.port,
      description,
    });
  }
}
