import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../../cli/paths.js';
import { runCli } from '../harness/cli.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

/**
 * Static security scans of what mlops deploys, in one checkov run (pinned in
 * scripts/requirements-scanners.txt, a virtualenv of its own): every synthesized stack, and every IAM policy file of policies/
 * wrapped as an aws_iam_policy so checkov's IAM checks read it. parliament then lints each policy
 * file (unknown actions, wrong condition types, resources an action cannot take). A finding is
 * fixed, or listed with its reason in test/validate/scan-skips.json.
 */
interface CheckovSkip {
  check: string;
  stacks: string;
  resources: string;
  reason: string;
}
interface ParliamentSkip {
  file: string;
  issue: string;
  actions?: 'from-wildcards' | string[];
  reason: string;
}
const skips = JSON.parse(readFileSync(join(repoRoot, 'test', 'validate', 'scan-skips.json'), 'utf8')) as { checkov: CheckovSkip[]; parliament: ParliamentSkip[] };

interface CheckovFinding {
  check: string;
  stack: string;
  resource: string;
  name: string;
}
interface ParliamentFinding {
  file: string;
  issue: string;
  actions: string[];
  /** The actions written in the statement parliament points at. */
  statementActions: string[];
  detail: string;
}

const environment = { TF_VAR_state_bucket_name: 'acme-terraform-state', TF_VAR_region: 'eu-west-1', TF_VAR_project: 'acme', TF_VAR_env_name: 'dev' };
/** Every placeholder of the policy files (the workflows' role, the boundary, the training jobs' policy). */
const PLACEHOLDER_VALUES: Record<string, string> = {
  project: 'acme',
  env: 'dev',
  state_bucket: 'acme-terraform-state',
  region: 'eu-west-1',
  account_id: '123456789012',
  partition: 'aws',
  ml_project: 'wine',
};
const POLICIES_STACK = 'policies';

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
/** `resource.logs_group_F4848128` or `aws_vpc.network_vpc_4E8F0223` → `logs_group`, `network_vpc`: stable across renames of the hash. */
const constructPath = (resource: string) => resource.replace(/^[^.]+\./, '').replace(/_[0-9A-F]{8}$/, '');

function renderPolicy(text: string): string {
  return text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (!(name in PLACEHOLDER_VALUES)) throw new Error(`unknown placeholder ${whole}`);
    return PLACEHOLDER_VALUES[name];
  });
}

const skipOfCheckov = (finding: CheckovFinding) =>
  skips.checkov.find((skip) => skip.check === finding.check && glob(skip.stacks).test(finding.stack) && glob(skip.resources).test(finding.resource));

/** The actions of the statement that starts at or encloses `line` (parliament's location, 1-based). */
function statementActionsAt(policyText: string, line: number): string[] {
  const statements = (JSON.parse(policyText) as { Statement: { Action?: string | string[] }[] }).Statement;
  const starts = policyText.split('\n').flatMap((text, index) => (/^\s{4}\{\s*$/.test(text) ? [index + 1] : []));
  const index = starts.filter((start) => start <= line).length - 1;
  if (starts.length !== statements.length) throw new Error('cannot tell the statements apart by line: each must open with "{" alone on a line, indented 4 spaces');
  return index >= 0 ? [statements[index].Action ?? []].flat() : [];
}

function skipOfParliament(finding: ParliamentFinding): ParliamentSkip | undefined {
  return skips.parliament.find((skip) => {
    if (skip.file !== finding.file || skip.issue !== finding.issue) return false;
    if (skip.actions === undefined) return true;
    if (skip.actions === 'from-wildcards') return finding.actions.length > 0 && finding.actions.every((action) => !finding.statementActions.includes(action));
    return finding.actions.length > 0 && finding.actions.every((action) => (skip.actions as string[]).includes(action));
  });
}

describe('security scans of the synthesized stacks and the IAM policy files', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-scan-'));
  const policyFiles = readdirSync(join(repoRoot, 'policies')).filter((name) => name.endsWith('.json'));
  let checkovFailed: CheckovFinding[] = [];
  let checkovPassedStacks = new Set<string>();
  let parliamentFindings: ParliamentFinding[] = [];

  beforeAll(async () => {
    const bin = requireTool(toolchainEnv(), 'MLOPS_SCANNERS_BIN');
    const synth = await runCli(['synth', '--json'], { ...environment, MLOPS_OUTDIR: outdir });
    expect(synth.exitCode).toBe(0);

    const policiesDir = join(outdir, 'stacks', POLICIES_STACK);
    mkdirSync(policiesDir);
    const rendered = Object.fromEntries(policyFiles.map((name) => [name, renderPolicy(readFileSync(join(repoRoot, 'policies', name), 'utf8'))]));
    const asTerraform = Object.fromEntries(Object.entries(rendered).map(([name, policy]) => [name.replace(/\W/g, '_'), { name, policy }]));
    writeFileSync(join(policiesDir, 'policies.tf.json'), JSON.stringify({ resource: { aws_iam_policy: asTerraform } }, null, 1));

    // --skip-download: no call to Prisma Cloud (the tests have no network); the checks ship with checkov.
    const checkov = await execa(join(bin, 'checkov'), ['--directory', join(outdir, 'stacks'), '--framework', 'terraform_json', '--output', 'json', '--compact', '--skip-download'], {
      reject: false,
      env: { BC_SKIP_MAPPING: 'TRUE' },
    });
    if (checkov.exitCode !== 0 && checkov.exitCode !== 1) throw new Error(`checkov failed (${checkov.exitCode}): ${checkov.stderr}`);
    const reports = [JSON.parse(checkov.stdout)].flat() as { results: Record<'failed_checks' | 'passed_checks', { check_id: string; check_name: string; file_path: string; resource: string }[]> }[];
    const stackOf = (filePath: string) => filePath.split('/').filter(Boolean)[0];
    for (const report of reports) {
      checkovFailed.push(...report.results.failed_checks.map((f) => ({ check: f.check_id, stack: stackOf(f.file_path), resource: constructPath(f.resource), name: f.check_name })));
      for (const passed of report.results.passed_checks) checkovPassedStacks.add(stackOf(passed.file_path));
    }

    for (const [name, policy] of Object.entries(rendered)) {
      // parliament reads a policy from stdin when stdin is not a terminal.
      const lint = await execa(join(bin, 'parliament'), ['--json'], { input: policy, reject: false });
      if (lint.exitCode !== 0 && lint.exitCode !== 1) throw new Error(`parliament failed on ${name} (${lint.exitCode}): ${lint.stderr}`);
      for (const line of lint.stdout.split('\n').filter(Boolean)) {
        const issue = JSON.parse(line) as { issue: string; detail: unknown; location: { line: number } };
        const actions = Array.isArray(issue.detail) ? issue.detail.map((d: { action?: string } | string) => (typeof d === 'string' ? d : d.action ?? '')).filter(Boolean) : [];
        const statementActions = statementActionsAt(policy, issue.location.line);
        parliamentFindings.push({ file: `policies/${name}`, issue: issue.issue, actions, statementActions, detail: JSON.stringify(issue.detail).slice(0, 300) });
      }
    }
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('scans every stack mlops synthesizes and every policy file', () => {
    const stacks = readdirSync(join(outdir, 'stacks'));
    expect(stacks).toEqual(expect.arrayContaining(['mlflow-server', POLICIES_STACK]));
    expect([...checkovPassedStacks].sort()).toEqual(stacks.sort());
    expect(policyFiles).toEqual(expect.arrayContaining(['github-actions-role.json', 'stack-roles-boundary.json', 'training-jobs-policy.default.json']));
  });

  it('checkov finds nothing that is not fixed or listed with its reason', () => {
    const open = checkovFailed.filter((finding) => !skipOfCheckov(finding)).map((f) => `${f.check} ${f.stack} ${f.resource}: ${f.name}`);
    expect(open).toEqual([]);
  });

  it('parliament finds nothing in the policy files that is not fixed or listed with its reason', () => {
    const open = parliamentFindings.filter((finding) => !skipOfParliament(finding)).map((f) => `${f.file} ${f.issue}: ${f.detail}`);
    expect(open).toEqual([]);
  });

  it('every skip says why, and still matches a finding (a fixed finding takes its skip with it)', () => {
    const stale = [
      ...skips.checkov.filter((skip) => !checkovFailed.some((finding) => skipOfCheckov(finding) === skip)).map((s) => `checkov ${s.check} ${s.stacks} ${s.resources}`),
      ...skips.parliament.filter((skip) => !parliamentFindings.some((finding) => skipOfParliament(finding) === skip)).map((s) => `parliament ${s.file} ${s.issue}`),
    ];
    expect(stale).toEqual([]);
    expect([...skips.checkov, ...skips.parliament].filter((skip) => skip.reason.trim().length < 20)).toEqual([]);
  });
});
