import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../cli/paths.js';

/**
 * policies/github-actions-role.json: the IAM policy of the role the lifecycle workflows assume,
 * with ${project}, ${env}, ${state_bucket}, ${region} and ${account_id} to render
 * (the README's GitHub Actions section shows how).
 */
const PLACEHOLDERS = ['project', 'env', 'state_bucket', 'region', 'account_id'] as const;
type Values = Record<(typeof PLACEHOLDERS)[number], string>;

interface Statement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: string | string[];
  NotResource?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}
interface Policy {
  Version?: string;
  Statement: Statement[];
}

const templateText = readFileSync(join(repoRoot, 'policies', 'github-actions-role.json'), 'utf8');
const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Fills in the placeholders as `envsubst '${project} …'` does; refuses unknown ones. */
function renderPolicy(text: string, values: Values): Policy {
  const rendered = text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) throw new Error(`unknown placeholder ${whole}`);
    return values[name as keyof Values];
  });
  return JSON.parse(rendered) as Policy;
}

const READ_ONLY = /^[a-z0-9-]+:(Describe|List|Get)[A-Za-z*]*$/;

/**
 * Statements that cannot name `<project>-<env>` resources or tags, each with the exact actions it
 * may hold and why; anything else without a project scope is a violation.
 */
const UNSCOPED: Record<string, { actions: string[]; why: string }> = {
  NoResourceLevelPermissions: {
    actions: ['ecr:GetAuthorizationToken', 'ecs:DeregisterTaskDefinition', 'cloudwatch:PutMetricData'],
    why: 'these actions support no resource-level permissions (docker login, task definition revisions, model metrics)',
  },
  BatchJobs: {
    actions: ['batch:SubmitJob', 'batch:TerminateJob', 'batch:CancelJob'],
    why: 'Batch job ARNs carry a random id, not the job definition name; SubmitJob is also authorised on the job queue and definition, which the Batch statement limits to the environment',
  },
  Ec2TagOnCreate: {
    actions: ['ec2:CreateTags'],
    why: 'tags only what the same request creates (ec2:CreateAction), and CreateWithOwnTags lets that happen only with the project/environment tags',
  },
  Ec2SecurityGroupRules: {
    actions: ['ec2:AuthorizeSecurityGroup*', 'ec2:RevokeSecurityGroup*', 'ec2:ModifySecurityGroupRules', 'ec2:UpdateSecurityGroupRuleDescriptions*'],
    why: "a rule's own ARN carries no tags; the same call needs its security group, which ManageOwnTagged limits to the project/environment tags",
  },
  IamServiceLinkedRoles: { actions: ['iam:CreateServiceLinkedRole'], why: 'restricted to the services the stacks use by iam:AWSServiceName' },
  RdsDefaultGroups: { actions: ['rds:CreateDBInstance', 'rds:ModifyDBInstance'], why: "CreateDBInstance authorises the engine's default option and parameter groups" },
  RdsManagedMasterSecret: {
    actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'secretsmanager:DescribeSecret'],
    why: 'RDS names the master password secret it manages rds!db-<uuid>',
  },
};

/** Every way a statement could reach beyond the project's environment; empty when none does. */
function scopeViolations(policy: Policy): string[] {
  const violations: string[] = [];
  if (policy.Version !== '2012-10-17') violations.push(`Version must be "2012-10-17"`);
  policy.Statement.forEach((statement, index) => {
    const label = `Statement ${statement.Sid ?? index}`;
    const actions = list(statement.Action);
    const resources = list(statement.Resource);
    if (!statement.Sid) violations.push(`${label}: needs a Sid saying what it is for`);
    if (statement.Effect !== 'Allow') violations.push(`${label}: Effect must be Allow`);
    if (statement.NotAction || statement.NotResource) violations.push(`${label}: NotAction/NotResource grant everything else`);
    if (actions.length === 0 || resources.length === 0) violations.push(`${label}: needs Action and Resource`);
    for (const action of actions) {
      if (action === '*' || /^[a-z0-9-]+:\*$/.test(action)) violations.push(`${label}: ${action} grants a whole service`);
      if (action.startsWith('iam:') && action.includes('*') && !READ_ONLY.test(action)) violations.push(`${label}: ${action}: IAM actions are listed one by one`);
    }
    const conditionText = JSON.stringify(statement.Condition ?? {});
    const resourcesScoped = resources.every((resource) => resource.includes('${project}'));
    const conditionScoped = conditionText.includes('${project}');
    const readOnly = actions.every((action) => READ_ONLY.test(action));
    const exempt = statement.Sid !== undefined && UNSCOPED[statement.Sid];
    if (exempt) {
      if (JSON.stringify([...actions].sort()) !== JSON.stringify([...exempt.actions].sort())) {
        violations.push(`${label}: an unscoped statement may hold only ${exempt.actions.join(', ')} (${exempt.why})`);
      }
    } else if (!resourcesScoped && !conditionScoped && !readOnly) {
      violations.push(`${label}: ${actions.join(', ')} on ${resources.join(', ')} is scoped neither by a <project>-<env> name nor by the project/environment tags`);
    }
    if (actions.includes('iam:PassRole') && !conditionText.includes('iam:PassedToService')) violations.push(`${label}: iam:PassRole without iam:PassedToService`);
  });
  return violations;
}

/** IAM's wildcard matching: `*` any run of characters, `?` one; actions ignore case. */
const wildcard = (pattern: string, flags = '') =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, flags);
const matchesAction = (statement: Statement, action: string) => list(statement.Action).some((a) => wildcard(a, 'i').test(action));

/** The environment's permissions boundary, as the README tells the user to create it. */
const BOUNDARY_ARN = 'arn:aws:iam::${account_id}:policy/mlops-boundary/${project}-${env}';

/**
 * Actions that write a role's permissions: each may appear only in a statement that demands the
 * environment's boundary on the role (`iam:PermissionsBoundary`), so no role the workflows create or
 * change can hold more than the boundary allows (finding 1: a `*:*` role one Batch job away).
 */
const ROLE_PERMISSION_WRITES = ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePermissionsBoundary'];
/** Never granted: they would take the boundary off, or write permissions IAM cannot tie to a boundary. */
const NEVER_GRANTED = ['iam:DeleteRolePermissionsBoundary', 'iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:CreateUser', 'iam:CreateAccessKey', 'iam:PutUserPolicy', 'iam:AttachUserPolicy', 'iam:PutGroupPolicy', 'iam:AttachGroupPolicy', 'sts:AssumeRole'];

/** Actions that add tags: a tag is what the tag-scoped statements trust. */
const addsTags = (action: string) => /^[a-z0-9-]+:\*?(CreateTags|AddTags|AddTagsTo[A-Za-z]*|TagResource|Tag[A-Z][A-Za-z]*|\*Tags?\*?|\*Tag[A-Za-z]*)$/.test(action);
/** Tags may be added to a resource only as it is created, or to one that already carries the environment's tags. */
const TAGS_ONLY_ON_CREATE_OR_OWN = ['ec2:CreateAction', 'aws:ResourceTag/project'];
/** Secrets RDS names `rds!db-<uuid>`: RDS needs TagResource to create the one it manages, and no statement trusts a secret's tags. */
const TAG_EXEMPT = { RdsManagedMasterSecret: 'secretsmanager:TagResource' } as Record<string, string>;

/** Every way the policy could give a role more than the boundary, or trust a tag it added to someone else's resource. */
function escalationViolations(policy: Policy): string[] {
  const violations: string[] = [];
  policy.Statement.forEach((statement, index) => {
    const label = `Statement ${statement.Sid ?? index}`;
    const condition = statement.Condition ?? {};
    const conditionKeys = Object.values(condition).flatMap((block) => Object.keys(block));
    for (const action of ROLE_PERMISSION_WRITES.filter((write) => matchesAction(statement, write))) {
      if (condition.StringEquals?.['iam:PermissionsBoundary'] !== BOUNDARY_ARN) violations.push(`${label}: ${action} without iam:PermissionsBoundary = ${BOUNDARY_ARN}`);
    }
    for (const action of NEVER_GRANTED.filter((never) => matchesAction(statement, never))) violations.push(`${label}: grants ${action}`);
    const resourcesNamed = list(statement.Resource).every((resource) => resource.includes('${project}-${env}-'));
    for (const action of list(statement.Action).filter(addsTags)) {
      if (resourcesNamed || TAG_EXEMPT[statement.Sid ?? ''] === action) continue;
      if (!TAGS_ONLY_ON_CREATE_OR_OWN.some((key) => conditionKeys.includes(key))) {
        violations.push(`${label}: ${action} on ${list(statement.Resource).join(', ')} can tag existing resources of others (needs ec2:CreateAction or aws:ResourceTag)`);
      }
    }
  });
  return violations;
}

describe('policies/github-actions-role.json', () => {
  const template = JSON.parse(templateText) as Policy;
  const longest: Values = {
    project: 'abcdefghijklmnop', // MAX_PROJECT_LENGTH 16
    env: 'abcdefgh', // MAX_ENV_NAME_LENGTH 8
    state_bucket: 'abcdefghijklmnop-terraform-state-eu-central-1',
    region: 'ap-southeast-2',
    account_id: '123456789012',
  };

  test('is an IAM policy that uses only the documented placeholders, and renders to one without any left', () => {
    const used = new Set([...templateText.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual([...PLACEHOLDERS].sort());
    const rendered = renderPolicy(templateText, longest);
    expect(JSON.stringify(rendered)).not.toContain('${');
    expect(rendered.Statement.length).toBe(template.Statement.length);
  });

  test('fits an inline role policy (10,240 characters) when rendered with the longest names the CLI accepts', () => {
    const size = JSON.stringify(renderPolicy(templateText, longest)).length;
    expect(size).toBeLessThan(10_240);
  });

  test('scopes every statement to the project and environment (names, tags or the state key prefix), with documented exceptions', () => {
    expect(scopeViolations(template)).toEqual([]);
  });

  test('reaches the Terraform state only under <project>/<env>/ of the state bucket', () => {
    const rendered = renderPolicy(templateText, { ...longest, project: 'acme', env: 'dev', state_bucket: 'acme-tfstate' });
    const stateStatements = rendered.Statement.filter((s) => list(s.Resource).some((r) => r.startsWith('arn:aws:s3:::acme-tfstate')));
    expect(stateStatements.flatMap((s) => list(s.Resource)).sort()).toEqual(['arn:aws:s3:::acme-tfstate', 'arn:aws:s3:::acme-tfstate/acme/dev/*']);
    const listing = stateStatements.find((s) => list(s.Action).includes('s3:ListBucket'));
    expect(listing?.Condition?.StringLike?.['s3:prefix']).toContain('acme/dev/*');
  });

  test('passes roles only to the services that run the stacks, and only roles of the environment', () => {
    const passRole = template.Statement.filter((s) => list(s.Action).includes('iam:PassRole'));
    expect(passRole).toHaveLength(1);
    expect(passRole[0].Resource).toBe('arn:aws:iam::${account_id}:role/${project}-${env}-*');
    expect(passRole[0].Condition?.StringEquals?.['iam:PassedToService']).toEqual(['ecs-tasks.amazonaws.com', 'batch.amazonaws.com', 'ec2.amazonaws.com', 'sagemaker.amazonaws.com', 'vpc-flow-logs.amazonaws.com', 'scheduler.amazonaws.com']);
  });

  test('gives no role more than the boundary, and tags only what it creates or what already carries its tags (finding 1)', () => {
    expect(escalationViolations(template)).toEqual([]);
  });

  test('the escalation check catches role writes without the boundary, a boundary removal and tag writes on resources of others', () => {
    const before: Policy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'IamRoles', Effect: 'Allow', Action: ['iam:CreateRole', 'iam:PutRolePolicy'], Resource: 'arn:aws:iam::${account_id}:role/${project}-${env}-*' },
        {
          Sid: 'Attach',
          Effect: 'Allow',
          Action: ['iam:AttachRolePolicy'],
          Resource: 'arn:aws:iam::${account_id}:role/${project}-${env}-*',
          Condition: { ArnLike: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/service-role/*' } },
        },
        { Sid: 'Unbound', Effect: 'Allow', Action: ['iam:DeleteRolePermissionsBoundary'], Resource: 'arn:aws:iam::${account_id}:role/${project}-${env}-*' },
        { Sid: 'TagAny', Effect: 'Allow', Action: ['acm:AddTagsToCertificate'], Resource: '*', Condition: { StringEquals: { 'aws:RequestTag/project': '${project}' } } },
        { Sid: 'TagGroups', Effect: 'Allow', Action: ['ec2:CreateTags'], Resource: 'arn:aws:ec2:${region}:${account_id}:security-group/*' },
      ],
    };
    expect(escalationViolations(before)).toEqual([
      `Statement IamRoles: iam:CreateRole without iam:PermissionsBoundary = ${BOUNDARY_ARN}`,
      `Statement IamRoles: iam:PutRolePolicy without iam:PermissionsBoundary = ${BOUNDARY_ARN}`,
      `Statement Attach: iam:AttachRolePolicy without iam:PermissionsBoundary = ${BOUNDARY_ARN}`,
      'Statement Unbound: grants iam:DeleteRolePermissionsBoundary',
      'Statement TagAny: acm:AddTagsToCertificate on * can tag existing resources of others (needs ec2:CreateAction or aws:ResourceTag)',
      'Statement TagGroups: ec2:CreateTags on arn:aws:ec2:${region}:${account_id}:security-group/* can tag existing resources of others (needs ec2:CreateAction or aws:ResourceTag)',
    ]);
  });

  test('names resources only as <project>-<env>-… from the start of a name, which no other project or environment can share', () => {
    // `*acme-dev-*` would also match `xacme-dev-…`; the CLI refuses hyphens in the project and environment names (naming.ts).
    const resources = template.Statement.flatMap((s) => list(s.Resource));
    expect(resources.filter((resource) => /[^/:]\$\{project\}-/.test(resource))).toEqual([]);
    expect(resources.filter((resource) => resource.includes('${project}-${env}')).every((resource) => /[/:]\$\{project\}-\$\{env\}-/.test(resource))).toBe(true);
  });

  test('the scope check catches a whole-service grant, an unscoped write, PassRole to anyone and an unlisted action in an exempt statement', () => {
    const bad: Policy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'All', Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::${project}-${env}-*' },
        { Sid: 'AnyRole', Effect: 'Allow', Action: ['iam:CreateRole'], Resource: 'arn:aws:iam::${account_id}:role/*' },
        { Sid: 'Pass', Effect: 'Allow', Action: ['iam:PassRole'], Resource: 'arn:aws:iam::${account_id}:role/${project}-${env}-*' },
        { Sid: 'IamWildcard', Effect: 'Allow', Action: ['iam:*Role'], Resource: 'arn:aws:iam::${account_id}:role/${project}-${env}-*' },
        { Sid: 'NoResourceLevelPermissions', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 's3:DeleteBucket'], Resource: '*' },
        { Effect: 'Allow', Action: ['ec2:DescribeVpcs'], Resource: '*' },
      ],
    };
    expect(scopeViolations(bad)).toEqual([
      'Statement All: s3:* grants a whole service',
      'Statement AnyRole: iam:CreateRole on arn:aws:iam::${account_id}:role/* is scoped neither by a <project>-<env> name nor by the project/environment tags',
      'Statement Pass: iam:PassRole without iam:PassedToService',
      'Statement IamWildcard: iam:*Role: IAM actions are listed one by one',
      'Statement NoResourceLevelPermissions: an unscoped statement may hold only ecr:GetAuthorizationToken, ecs:DeregisterTaskDefinition, cloudwatch:PutMetricData (these actions support no resource-level permissions (docker login, task definition revisions, model metrics))',
      'Statement 5: needs a Sid saying what it is for',
    ]);
  });
});

/** A statement's resources, `NotResource` read as "everything but". */
const coversResource = (statement: Statement, arn: string) =>
  statement.NotResource !== undefined
    ? !list(statement.NotResource as string | string[]).some((r) => wildcard(r).test(arn))
    : list(statement.Resource).some((r) => wildcard(r).test(arn));
/** What an IAM evaluation of the policy alone decides (conditions not evaluated: an allow with conditions still counts). */
function decide(policy: Policy, action: string, arn: string): 'deny' | 'allow' | 'implicit deny' {
  const matching = policy.Statement.filter((s) => matchesAction(s, action) && coversResource(s, arn));
  if (matching.some((s) => s.Effect === 'Deny')) return 'deny';
  return matching.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit deny';
}

describe('policies/stack-roles-boundary.json, the permissions boundary of every role the stacks create', () => {
  const boundaryText = readFileSync(join(repoRoot, 'policies', 'stack-roles-boundary.json'), 'utf8');
  const boundary = renderPolicy(boundaryText, { project: 'acme', env: 'dev', state_bucket: 'unused', region: 'eu-west-1', account_id: '123456789012' });
  const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;

  test('fits a managed policy (6,144 characters without white space) when rendered with the longest names the CLI accepts', () => {
    const longest = { project: 'abcdefghijklmnop', env: 'abcdefgh', state_bucket: 'unused', region: 'ap-southeast-2', account_id: '123456789012' };
    expect(JSON.stringify(renderPolicy(boundaryText, longest)).length).toBeLessThan(6_144);
  });

  test("lets no role set or remove the tags the workflows' role trusts, nor change a security group of another project or environment", () => {
    // Else a role policy the workflows write (within the boundary) could tag, then open, another environment's groups.
    const denies = boundary.Statement.filter((s) => s.Effect === 'Deny');
    const tagDeny = denies.find((s) => matchesAction(s, 'ec2:CreateTags') && matchesAction(s, 'ec2:DeleteTags'));
    expect(tagDeny).toMatchObject({ Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['project', 'environment'] } } });
    const groupRules = ['ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupIngress', 'ec2:ModifySecurityGroupRules', 'ec2:DeleteSecurityGroup'];
    for (const [key, value] of [['aws:ResourceTag/project', 'acme'], ['aws:ResourceTag/environment', 'dev']]) {
      const deny = denies.find((s) => s.Condition?.StringNotEquals?.[key] === value);
      expect(deny?.Resource).toBe('arn:aws:ec2:eu-west-1:123456789012:security-group/*');
      expect(groupRules.filter((action) => !matchesAction(deny!, action))).toEqual([]);
    }
  });

  test.each([
    ['iam:PutRolePolicy', role('acme-dev-training-job')],
    ['iam:CreateRole', role('acme-dev-anything')],
    ['iam:AttachRolePolicy', role('acme-dev-training-job')],
    ['iam:DeleteRolePermissionsBoundary', role('acme-dev-training-job')],
    ['iam:UpdateAssumeRolePolicy', role('admin')],
    ['iam:CreateAccessKey', 'arn:aws:iam::123456789012:user/admin'],
    ['iam:CreatePolicyVersion', 'arn:aws:iam::123456789012:policy/mlops-boundary/acme-dev'],
    ['sts:AssumeRole', role('admin')],
  ])('denies %s on %s, whatever a role policy grants', (action, arn) => {
    expect(decide(boundary, action, arn)).toBe('deny');
  });

  test.each([
    ['s3:GetObject', 'arn:aws:s3:::acme-prod-mlflow-artifacts-123456789012/artifacts/1/model.pkl'],
    ['s3:PutObject', 'arn:aws:s3:::acme-terraform-state/acme/dev/mlflow-server.tfstate'],
    ['ssm:GetParameter', 'arn:aws:ssm:eu-west-1:123456789012:parameter/acme/prod/mlflow-server/tracking-uri'],
    ['secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/prod/db-AbCdEf'],
    ['ecr:BatchGetImage', 'arn:aws:ecr:eu-west-1:123456789012:repository/acme-prod-training'],
    ['logs:PutLogEvents', 'arn:aws:logs:eu-west-1:123456789012:log-group:/mlops/acme-prod-mlflow-server:log-stream:x'],
    ['iam:PassRole', role('acme-prod-training-job')],
    ['dynamodb:Scan', 'arn:aws:dynamodb:eu-west-1:123456789012:table/acme-dev-anything'],
  ])('allows no %s outside the environment (%s)', (action, arn) => {
    expect(decide(boundary, action, arn)).not.toBe('allow');
  });

  test.each([
    ['s3:PutObject', 'arn:aws:s3:::acme-dev-mlflow-artifacts-123456789012/artifacts/1/model.pkl'],
    ['ssm:GetParameter', 'arn:aws:ssm:eu-west-1:123456789012:parameter/acme/dev/mlflow-server/tracking-uri'],
    ['ecr:BatchGetImage', 'arn:aws:ecr:eu-west-1:123456789012:repository/acme-dev-training'],
    ['logs:PutLogEvents', 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/batch/acme-dev-wine-training:log-stream:x'],
    ['iam:PassRole', role('acme-dev-wine-train-instance')],
    ['iam:CreateServiceLinkedRole', 'arn:aws:iam::123456789012:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot'],
  ])('allows %s inside the environment (%s)', (action, arn) => {
    expect(decide(boundary, action, arn)).toBe('allow');
  });
});

/**
 * The AWS services behind each Terraform resource and data source type the stacks use. A type not
 * in this table fails the coverage test below: add it here and make sure the role's policy allows it.
 */
const SERVICE_OF_TYPE: [RegExp, string][] = [
  [/^aws_(vpc|vpc_.+|subnet|subnets|route|route_table.*|main_route_table_association|internet_gateway|nat_gateway|eip|security_group|security_group_rule|default_security_group|default_route_table|default_network_acl|network_acl.*|ec2_client_vpn_.+|launch_template|availability_zones|flow_log)$/, 'ec2'],
  [/^aws_s3_/, 's3'],
  [/^aws_iam_(role|role_policy|role_policy_attachment|instance_profile|service_linked_role|policy)$/, 'iam'],
  [/^aws_ecr_/, 'ecr'],
  [/^aws_cloudwatch_log_/, 'logs'],
  [/^aws_cloudwatch_(dashboard|metric_alarm|composite_alarm)$/, 'cloudwatch'],
  [/^aws_ecs_/, 'ecs'],
  [/^aws_(lb|alb|lb_listener|lb_target_group|lb_listener_rule|alb_listener|alb_target_group)$/, 'elasticloadbalancing'],
  [/^aws_(db_|rds_)/, 'rds'],
  [/^aws_batch_/, 'batch'],
  [/^aws_scheduler_/, 'scheduler'],
  [/^aws_sagemaker_/, 'sagemaker'],
  [/^aws_ssm_parameter$/, 'ssm'],
  [/^aws_secretsmanager_/, 'secretsmanager'],
  [/^aws_acm_/, 'acm'],
  [/^aws_appautoscaling_/, 'application-autoscaling'],
];
/** Types that call no AWS API that needs a permission (or none at all). */
const NO_PERMISSION_NEEDED = /^aws_(iam_policy_document|partition|caller_identity|region|default_tags|arn)$/;

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

/**
 * Where the stacks' named resources live: the attribute that holds the name, the ARN AWS gives the
 * resource (random suffixes stand in as `abc123`), and the action that creates it.
 */
const NAMED_RESOURCES: Record<string, { attribute: string; arn: (name: string) => string; action: string }> = {
  aws_s3_bucket: { attribute: 'bucket', arn: (n) => `arn:aws:s3:::${n}`, action: 's3:CreateBucket' },
  aws_iam_role: { attribute: 'name', arn: (n) => `arn:aws:iam::${ACCOUNT}:role/${n}`, action: 'iam:CreateRole' },
  aws_iam_instance_profile: { attribute: 'name', arn: (n) => `arn:aws:iam::${ACCOUNT}:instance-profile/${n}`, action: 'iam:CreateInstanceProfile' },
  aws_ecr_repository: { attribute: 'name', arn: (n) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${n}`, action: 'ecr:CreateRepository' },
  aws_cloudwatch_log_group: { attribute: 'name', arn: (n) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${n}`, action: 'logs:CreateLogGroup' },
  aws_ecs_cluster: { attribute: 'name', arn: (n) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${n}`, action: 'ecs:CreateCluster' },
  aws_ecs_task_definition: { attribute: 'family', arn: (n) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${n}:1`, action: 'ecs:TagResource' },
  aws_lb: { attribute: 'name', arn: (n) => `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/${n}/abc123`, action: 'elasticloadbalancing:CreateLoadBalancer' },
  aws_lb_target_group: { attribute: 'name', arn: (n) => `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${n}/abc123`, action: 'elasticloadbalancing:CreateTargetGroup' },
  aws_db_instance: { attribute: 'identifier', arn: (n) => `arn:aws:rds:${REGION}:${ACCOUNT}:db:${n}`, action: 'rds:CreateDBInstance' },
  aws_db_subnet_group: { attribute: 'name', arn: (n) => `arn:aws:rds:${REGION}:${ACCOUNT}:subgrp:${n}`, action: 'rds:CreateDBSubnetGroup' },
  aws_batch_compute_environment: { attribute: 'name', arn: (n) => `arn:aws:batch:${REGION}:${ACCOUNT}:compute-environment/${n}`, action: 'batch:CreateComputeEnvironment' },
  aws_batch_job_queue: { attribute: 'name', arn: (n) => `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/${n}`, action: 'batch:CreateJobQueue' },
  aws_scheduler_schedule: { attribute: 'name', arn: (n) => `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/${n}`, action: 'scheduler:CreateSchedule' },
  aws_batch_job_definition: { attribute: 'name', arn: (n) => `arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/${n}:1`, action: 'batch:RegisterJobDefinition' },
  aws_sagemaker_model: { attribute: 'name', arn: (n) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model/${n}`, action: 'sagemaker:CreateModel' },
  aws_sagemaker_endpoint_configuration: { attribute: 'name', arn: (n) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${n}`, action: 'sagemaker:CreateEndpointConfig' },
  aws_sagemaker_endpoint: { attribute: 'name', arn: (n) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${n}`, action: 'sagemaker:CreateEndpoint' },
  aws_ssm_parameter: { attribute: 'name', arn: (n) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${n}`, action: 'ssm:PutParameter' },
  aws_secretsmanager_secret: { attribute: 'name', arn: (n) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${n}-AbCdEf`, action: 'secretsmanager:CreateSecret' },
  aws_cloudwatch_dashboard: { attribute: 'dashboard_name', arn: (n) => `arn:aws:cloudwatch::${ACCOUNT}:dashboard/${n}`, action: 'cloudwatch:PutDashboard' },
  aws_cloudwatch_metric_alarm: { attribute: 'alarm_name', arn: (n) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${n}`, action: 'cloudwatch:PutMetricAlarm' },
};

const allows = (policy: Policy, action: string, arn: string) =>
  policy.Statement.some(
    (s) => list(s.Action).some((a) => wildcard(a, 'i').test(action)) && list(s.Resource).some((r) => wildcard(r).test(arn)),
  );

/**
 * The actions the stack's roles are granted, in the three forms a role policy takes here: a JSON
 * string, Terraform's `jsonencode({…})`, and an aws_iam_policy_document (trust documents excluded).
 */
function roleActionsOf(json: { resource?: Record<string, Record<string, Record<string, unknown>>>; data?: object }): string[] {
  const actions: string[] = [];
  for (const { policy } of Object.values(json.resource?.aws_iam_role_policy ?? {}) as { policy: string }[]) {
    if (policy.startsWith('{')) actions.push(...(JSON.parse(policy) as Policy).Statement.flatMap((s) => list(s.Action)));
    for (const [, value] of policy.matchAll(/"Action" = (\[[^\]]*\]|"[^"]*")/g)) actions.push(...list(JSON.parse(value) as string | string[]));
  }
  const documents = Object.values((json.data as Record<string, Record<string, { statement: { actions?: string[]; principals?: unknown }[] }>> | undefined)?.aws_iam_policy_document ?? {});
  for (const document of documents) actions.push(...document.statement.filter((s) => !s.principals).flatMap((s) => s.actions ?? []));
  return actions;
}

describe('the role policy covers what the stacks create', () => {
  let types: Map<string, string[]>;
  let named: { type: string; address: string; name: string }[];
  let roleBoundaries: string[];
  let roleActions: Set<string>;
  let outdir: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'role-coverage-'));
    // The repository's projects, the test project with a retraining schedule, so its schedule and role are covered too.
    const projects = join(outdir, 'ml-projects');
    cpSync(join(repoRoot, 'ml-projects'), projects, { recursive: true, filter: (source) => !/mlruns|__pycache__/.test(source) });
    const requirements = join(projects, 'test-project', 'resource-requirements.json');
    writeFileSync(requirements, JSON.stringify({ training: JSON.parse(readFileSync(requirements, 'utf8')), schedule: 'rate(7 days)' }));
    Object.assign(process.env, {
      MLOPS_OUTDIR: join(outdir, 'out'),
      MLOPS_PROJECTS_DIR: projects,
      TF_VAR_state_bucket_name: 'acme-terraform-state',
      TF_VAR_region: 'eu-west-1',
      TF_VAR_project: 'acme',
      TF_VAR_env_name: 'dev',
    });
    // Exactly what `mlops synth` writes: the MLflow server, and training and deployment stacks per ML project.
    const { synth } = await import('../../cli/commands/synth.js');
    await (synth.handler as (args: { json: boolean }) => Promise<void>)({ json: false });
    types = new Map();
    named = [];
    roleBoundaries = [];
    roleActions = new Set();
    for (const stack of readdirSync(join(outdir, 'out', 'stacks'))) {
      const json = JSON.parse(readFileSync(join(outdir, 'out', 'stacks', stack, 'cdk.tf.json'), 'utf8')) as {
        resource?: Record<string, Record<string, Record<string, unknown>>>;
        data?: object;
      };
      for (const type of [...Object.keys(json.resource ?? {}), ...Object.keys(json.data ?? {})]) {
        if (!type.startsWith('aws_')) continue; // tls, random, … call no AWS API
        types.set(type, [...(types.get(type) ?? []), stack]);
      }
      for (const role of Object.values(json.resource?.aws_iam_role ?? {})) roleBoundaries.push(String(role.permissions_boundary));
      for (const action of roleActionsOf(json)) roleActions.add(action);
      for (const [type, resources] of Object.entries(json.resource ?? {})) {
        const attribute = NAMED_RESOURCES[type]?.attribute;
        if (!attribute) continue;
        for (const [id, resource] of Object.entries(resources)) {
          const name = resource[attribute];
          // Names built from other resources' attributes (`${…}`) are not known before apply.
          if (typeof name === 'string' && !name.includes('${')) named.push({ type, address: `${stack}: ${type}.${id}`, name });
        }
      }
    }
  });

  afterAll(() => {
    process.env = saved;
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  test('synthesizes the stacks of every step', () => {
    expect(types.size).toBeGreaterThan(0);
  });

  test('every AWS resource and data source type the stacks use is known, and the policy grants actions of its service', () => {
    const actions = (JSON.parse(templateText) as Policy).Statement.flatMap((s) => list(s.Action));
    const services = new Set(actions.map((action) => action.split(':')[0]));
    const problems: string[] = [];
    for (const [type, stacks] of types) {
      if (NO_PERMISSION_NEEDED.test(type)) continue;
      const service = SERVICE_OF_TYPE.find(([pattern]) => pattern.test(type))?.[1];
      if (!service) problems.push(`${type} (in ${stacks.join(', ')}) is not in SERVICE_OF_TYPE: add it, and its actions to the policy`);
      else if (!services.has(service)) problems.push(`${type} (in ${stacks.join(', ')}) needs ${service}:… actions, which the policy does not grant`);
    }
    expect(problems).toEqual([]);
  });

  test('the name patterns of the policy match the names the stacks give their resources', () => {
    const policy = renderPolicy(templateText, { project: 'acme', env: 'dev', state_bucket: 'acme-terraform-state', region: REGION, account_id: ACCOUNT });
    expect(named.length).toBeGreaterThan(5);
    const refused = named
      .map(({ type, address, name }) => ({ address, action: NAMED_RESOURCES[type].action, arn: NAMED_RESOURCES[type].arn(name) }))
      .filter(({ action, arn }) => !allows(policy, action, arn))
      .map(({ address, action, arn }) => `${address}: ${action} on ${arn}`);
    expect(refused).toEqual([]);
  });

  test('every role the stacks create carries the boundary the role policy demands', () => {
    const policy = renderPolicy(templateText, { project: 'acme', env: 'dev', state_bucket: 'acme-terraform-state', region: REGION, account_id: ACCOUNT });
    const demanded = policy.Statement.find((s) => s.Sid === 'IamRoleWritesOnlyWithTheBoundary')?.Condition?.StringEquals?.['iam:PermissionsBoundary'];
    expect(demanded).toBe(`arn:aws:iam::${ACCOUNT}:policy/mlops-boundary/acme-dev`);
    expect(roleBoundaries.length).toBeGreaterThan(5);
    const resolved = roleBoundaries.map((arn) => arn.replace(/\$\{data\.aws_partition\.[^}]+\}/, 'aws').replace(/\$\{data\.aws_caller_identity\.[^}]+\}/, ACCOUNT));
    expect(new Set(resolved)).toEqual(new Set([demanded]));
  });

  test("the boundary allows every action the stacks' role policies grant (else the roles would silently lose it)", () => {
    const boundary = renderPolicy(readFileSync(join(repoRoot, 'policies', 'stack-roles-boundary.json'), 'utf8'), { project: 'acme', env: 'dev', state_bucket: 'unused', region: REGION, account_id: ACCOUNT });
    expect(roleActions.size).toBeGreaterThan(10);
    expect([...roleActions].filter((action) => !boundary.Statement.some((s) => s.Effect === 'Allow' && matchesAction(s, action)))).toEqual([]);
  });

  test('the name check refuses a resource outside the environment', () => {
    const policy = renderPolicy(templateText, { project: 'acme', env: 'dev', state_bucket: 'acme-terraform-state', region: REGION, account_id: ACCOUNT });
    expect(allows(policy, 'iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/acme-dev-training-job`)).toBe(true);
    expect(allows(policy, 'iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/acme-prod-training-job`)).toBe(false);
    expect(allows(policy, 's3:DeleteBucket', 'arn:aws:s3:::acme-terraform-state')).toBe(false);
    expect(allows(policy, 's3:GetObject', 'arn:aws:s3:::acme-terraform-state/other/dev/mlflow-server.tfstate')).toBe(false);
  });
});
