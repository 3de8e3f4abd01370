import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../cli/paths.js';
import {
  dispatchInputs,
  dispatchViolations,
  injectionViolations,
  makeCallViolations,
  makeCalls,
  parseAction,
  parseMakefile,
  parseWorkflow,
  permissionViolations,
  pinCommentViolations,
  pinViolations,
  readLocalActions,
  readWorkflows,
  recipeVariables,
  staticKeyViolations,
  usesOf,
  variablesAndSecrets,
  vpnViolations,
} from './checks.js';

const workflows = readWorkflows(repoRoot);
const actions = readLocalActions(repoRoot);
const makefile = parseMakefile(readFileSync(join(repoRoot, 'Makefile'), 'utf8'));
const allFiles = [...workflows, ...actions.values()];
const byName = (name: string) => {
  const found = workflows.find((w) => w.file === `.github/workflows/${name}.yml`);
  if (!found) throw new Error(`.github/workflows/${name}.yml is missing`);
  return found;
};
const lifecycle = ['mlflow-server', 'training-job', 'deployment-job'];

/** The lifecycle workflows as the issue asks for them: which make targets, which inputs. */
const EXPECTED: Record<string, { inputs: string[]; apply: string; destroy: string; vpn: boolean }> = {
  'mlflow-server': { inputs: ['action', 'environment'], apply: 'mlflow-server', destroy: 'mlflow-server-rm', vpn: false },
  'training-job': { inputs: ['action', 'environment', 'project'], apply: 'training-job project=project', destroy: 'training-job-rm project=project', vpn: true },
  'deployment-job': {
    inputs: ['action', 'environment', 'model', 'project'],
    apply: 'deployment-job model=model project=project',
    destroy: 'deployment-job-rm project=project',
    vpn: true,
  },
};

const describeCall = (call: ReturnType<typeof makeCalls>[number]) =>
  [call.target, ...[...call.variables].sort(([a], [b]) => a.localeCompare(b)).map(([name, input]) => `${name}=${input}`)].join(' ');

describe('lifecycle workflows run the make targets a person runs', () => {
  test.each(lifecycle)('%s is dispatched by hand with the inputs its step needs, and apply/destroy run make X / make X-rm', (name) => {
    const { doc } = byName(name);
    expect(Object.keys(dispatchInputs(doc) ?? {}).sort()).toEqual(EXPECTED[name].inputs);
    const calls = makeCalls(doc);
    expect(calls.filter((c) => c.condition.includes("'apply'")).map(describeCall)).toEqual([EXPECTED[name].apply]);
    expect(calls.filter((c) => c.condition.includes("'destroy'")).map(describeCall)).toEqual([EXPECTED[name].destroy]);
  });

  test.each(lifecycle)('%s: every make target exists in the Makefile and its variables match the workflow inputs', (name) => {
    const { file, doc } = byName(name);
    expect(makeCallViolations(file, doc, makefile)).toEqual([]);
  });

  test.each(lifecycle)('%s checks its inputs before the environment job, runs in the chosen environment, one run per state at a time', (name) => {
    const { file, doc } = byName(name);
    expect(dispatchViolations(file, doc)).toEqual([]);
  });

  test.each(lifecycle)('%s connects to the VPN only where the private MLflow server is needed, and always disconnects', (name) => {
    const { file, doc } = byName(name);
    expect(vpnViolations(file, doc)).toEqual([]);
    const connects = Object.values(doc.jobs ?? {}).some((job) => (job.steps ?? []).some((s) => s.uses === './.github/actions/vpn-connect'));
    expect(connects).toBe(EXPECTED[name].vpn);
  });

  test('ci runs `make test` on push and pull request, with the toolchain cached by the files that define it', () => {
    const { doc, text } = byName('ci');
    expect(Object.keys(doc.on as object).sort()).toEqual(['pull_request', 'push']);
    expect(makeCalls(doc).map((c) => c.target)).toContain('test');
    expect(makeCallViolations('.github/workflows/ci.yml', doc, makefile)).toEqual([]);
    expect(text).toContain("hashFiles('scripts/install-tools.sh', 'scripts/requirements-tools.txt', 'scripts/requirements-scanners.txt')");
    expect(text).toMatch(/~\/\.cache\/lean-mlops/);
    expect(text).toMatch(/~\/go\/pkg\/mod/);
  });

  test('ci downloads OpenTofu and the provider: `make tools` may not fall back to building them, and runs before `make test`', () => {
    const { doc } = byName('ci');
    const steps = Object.values(doc.jobs ?? {}).flatMap((job) => job.steps ?? []);
    const tools = steps.findIndex((s) => /^make tools$/m.test(s.run ?? ''));
    expect(tools).toBeGreaterThanOrEqual(0);
    expect(steps[tools].env?.MLOPS_TOOLS_BUILD).toBe('never');
    expect(steps.findIndex((s) => /^make test$/m.test(s.run ?? ''))).toBeGreaterThan(tools);
  });
});

describe('sync.yml: registry-driven releases', () => {
  const { file, doc, text } = byName('sync');
  const calls = makeCalls(doc);

  test('dispatch runs make sync or make promote-model project= from= from_uri= by its action input, in the chosen environment', () => {
    expect(Object.keys(dispatchInputs(doc) ?? {}).sort()).toEqual(['action', 'environment', 'from', 'from_uri', 'project']);
    expect(dispatchInputs(doc)?.action).toMatchObject({ type: 'choice', options: ['sync', 'promote-model'] });
    expect(calls.map((call) => `${call.condition} → ${describeCall(call)}`)).toEqual([
      "inputs.action != 'promote-model' → sync",
      "inputs.action == 'promote-model' → promote-model from=from from_uri=from_uri project=project",
    ]);
    // The action input steers with its own values (sync / promote-model), not apply/destroy.
    expect(makeCallViolations(file, doc, makefile).filter((violation) => !violation.includes('whatever the action input says'))).toEqual([]);
    const job = doc.jobs!.sync;
    expect(job.environment).toBe('${{ inputs.environment || vars.MLOPS_SYNC_ENVIRONMENT }}');
    expect(job.env?.TF_VAR_env_name).toBe('${{ inputs.environment || vars.MLOPS_SYNC_ENVIRONMENT }}');
  });

  test('the schedule is off until MLOPS_SYNC_ENVIRONMENT names an environment, and the inputs are checked before the environment job', () => {
    expect((doc.on as { schedule: { cron: string }[] }).schedule).toHaveLength(1);
    expect(String((doc.jobs!['check-inputs'] as { if?: string }).if)).toBe("github.event_name != 'schedule' || vars.MLOPS_SYNC_ENVIRONMENT != ''");
    expect(doc.jobs!.sync.needs).toBe('check-inputs');
    expect(text).toMatch(/group: mlops-\$\{\{ inputs\.environment \|\| vars\.MLOPS_SYNC_ENVIRONMENT \}\}-sync\n\s+cancel-in-progress: false/);
    expect(vpnViolations(file, doc)).toEqual([]);
  });
});

describe('every workflow and local action', () => {
  test.each(allFiles.map((f) => [f.file, f] as const))('%s pins every action to a full commit SHA (or exact version) with a release comment', (_, parsed) => {
    expect([...pinViolations(parsed.file, usesOf(parsed.doc)), ...pinCommentViolations(parsed.file, parsed.text)]).toEqual([]);
  });

  test.each(allFiles.map((f) => [f.file, f] as const))('%s has no static AWS key: credentials only through OIDC role-to-assume', (_, parsed) => {
    expect(staticKeyViolations(parsed.file, parsed.text, parsed.doc)).toEqual([]);
  });

  test.each(allFiles.map((f) => [f.file, f] as const))('%s passes inputs to scripts through env, never spliced into the script', (_, parsed) => {
    expect(injectionViolations(parsed.file, parsed.doc)).toEqual([]);
  });

  test.each(workflows.map((w) => [w.file, w] as const))('%s gives every job its own least permissions (id-token: write only with OIDC)', (_, parsed) => {
    expect(permissionViolations(parsed.file, parsed.doc, actions)).toEqual([]);
  });

  test('the jobs that assume an AWS role are exactly the lifecycle jobs that run make', () => {
    const oidcJobs = workflows.flatMap((w) =>
      Object.entries(w.doc.jobs ?? {})
        .filter(([, job]) => job.permissions && (job.permissions as Record<string, string>)['id-token'] === 'write')
        .map(([id]) => `${w.file}#${id}`),
    );
    expect(oidcJobs.sort()).toEqual([...lifecycle, 'sync'].map((name) => `.github/workflows/${name}.yml#${name}`).sort());
  });

  test('the README names every variable and secret the workflows read, and every workflow', () => {
    const docs = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const missing: string[] = [];
    for (const parsed of allFiles) {
      const { vars, secrets } = variablesAndSecrets(parsed.text);
      for (const name of [...vars, ...secrets]) if (!docs.includes(`\`${name}\``)) missing.push(`${name} (read by ${parsed.file})`);
    }
    for (const parsed of workflows) if (!docs.includes(parsed.file.replace('.github/workflows/', ''))) missing.push(parsed.file);
    expect(missing).toEqual([]);
  });
});

describe('the checks catch bad workflows', () => {
  const makefileFixture = parseMakefile(
    [
      'MLOPS := node dist/cli/main.js',
      '.PHONY: training-job \\',
      '\ttraining-job-rm',
      'training-job: dist ## Train',
      '\t$(MLOPS) training-job --project "$(project)" $(if $(job),--job-id "$(job)")',
      'training-job-rm: dist ## Remove',
      '\t$(MLOPS) training-job-rm --project "$(project)"',
      'deployment-job: dist',
      '\t$(MLOPS) deployment-job --project "$(project)" --model "$(model)"',
      '',
    ].join('\n'),
  );

  const workflow = (jobs: string, inputs = '      action: { type: choice, options: [apply, destroy] }\n      environment: { type: environment }\n      project: { type: string }') =>
    parseWorkflow('bad.yml', `on:\n  workflow_dispatch:\n    inputs:\n${inputs}\njobs:\n${jobs}`);

  test('reads targets and the variables their recipes use from a Makefile, skipping assignments and .PHONY', () => {
    expect([...makefileFixture.keys()].sort()).toEqual(['deployment-job', 'training-job', 'training-job-rm']);
    expect(makefileFixture.get('deployment-job')).toEqual(['$(MLOPS) deployment-job --project "$(project)" --model "$(model)"']);
    const training = recipeVariables(makefileFixture.get('training-job') ?? []);
    expect({ required: [...training.required], optional: [...training.optional] }).toEqual({ required: ['project'], optional: ['job'] });
  });

  test('a make target missing from the Makefile, a variable from no input, a misnamed input and an unread variable', () => {
    const { file, doc } = workflow(
      [
        '  run:',
        '    steps:',
        "      - if: inputs.action == 'apply'",
        '        run: make trainig-job project="$PROJECT"',
        "      - if: inputs.action == 'apply'",
        '        env: { PROJECT: "${{ inputs.project }}", NAME: "${{ inputs.environment }}" }',
        '        run: make training-job project=acme model="$NAME"',
        "      - if: inputs.action == 'destroy'",
        '        run: make training-job project="${{ inputs.project }}"',
      ].join('\n'),
    );
    const violations = makeCallViolations(file, doc, makefileFixture).join('\n');
    expect(violations).toMatch(/runs `make trainig-job` but the Makefile has no target trainig-job/);
    expect(violations).toMatch(/passes project= from no workflow input/);
    expect(violations).toMatch(/passes model= from inputs\.environment; the input and the make variable must have the same name/);
    expect(violations).toMatch(/passes model= but `make training-job` does not read \$\(model\)/);
    expect(violations).toMatch(/runs `make training-job` for destroy; destroy runs a -rm target/);
  });

  test('an input no make call uses, a recipe variable nobody passes, and a make step that ignores the action', () => {
    const { file, doc } = workflow(['  run:', '    steps:', '      - run: make deployment-job'].join('\n'));
    const violations = makeCallViolations(file, doc, makefileFixture).join('\n');
    expect(violations).toMatch(/without project=, which its recipe reads/);
    expect(violations).toMatch(/without model=, which its recipe reads/);
    expect(violations).toMatch(/whatever the action input says/);
    expect(violations).toMatch(/input project reaches no make call/);
  });

  test('a moving tag, a branch, a short SHA and an unpinned image are refused; SHAs, exact versions and local actions pass', () => {
    const { file, doc, text } = parseWorkflow(
      'bad.yml',
      [
        'jobs:',
        '  a:',
        '    steps:',
        '      - uses: actions/checkout@v4',
        '      - uses: actions/setup-node@main',
        '      - uses: aws-actions/configure-aws-credentials@ececac1',
        '      - uses: docker://alpine:3',
        '      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684',
        '      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3',
        '      - uses: opentofu/setup-opentofu@v2.0.2',
        '      - uses: ./.github/actions/setup-lifecycle',
      ].join('\n'),
    );
    expect(pinViolations(file, usesOf(doc)).map((v) => v.replace(/.*uses "([^"]+)".*/, '$1'))).toEqual([
      'actions/checkout@v4',
      'actions/setup-node@main',
      'aws-actions/configure-aws-credentials@ececac1',
      'docker://alpine:3',
    ]);
    expect(pinCommentViolations(file, text)).toEqual(['bad.yml:8: "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684" has no "# vX.Y.Z" comment naming the release']);
  });

  test('static AWS keys in env or in configure-aws-credentials, and credentials without a role, are refused', () => {
    const { file, doc, text } = parseWorkflow(
      'bad.yml',
      [
        'jobs:',
        '  a:',
        '    env:',
        '      AWS_SECRET_ACCESS_KEY: ${{ secrets.KEY }}',
        '    steps:',
        '      - uses: aws-actions/configure-aws-credentials@a03048d87541d1d9fcf2ecf528a4a65ba9bd7838 # v5.0.0',
        '        with:',
        '          aws-access-key-id: ${{ secrets.ID }}',
        '          aws-region: eu-west-1',
      ].join('\n'),
    );
    const violations = staticKeyViolations(file, text, doc).join('\n');
    expect(violations).toMatch(/bad\.yml:4: mentions AWS_SECRET_ACCESS_KEY/);
    expect(violations).toMatch(/bad\.yml:8: mentions aws-access-key-id/);
    expect(violations).toMatch(/configures AWS credentials without role-to-assume/);
  });

  test('missing job permissions, write scopes, a write-all default, and OIDC without id-token: write are refused', () => {
    const composite = parseAction(
      'action.yml',
      'runs:\n  using: composite\n  steps:\n    - uses: aws-actions/configure-aws-credentials@a03048d87541d1d9fcf2ecf528a4a65ba9bd7838\n',
    );
    const local = new Map([['./.github/actions/aws', composite]]);
    const { file, doc } = parseWorkflow(
      'bad.yml',
      [
        'permissions: write-all',
        'jobs:',
        '  none:',
        '    steps: [{ run: echo }]',
        '  writes:',
        '    permissions: { contents: write, id-token: write }',
        '    steps: [{ run: echo }]',
        '  oidc:',
        '    permissions: { contents: read }',
        '    steps: [{ uses: ./.github/actions/aws }]',
      ].join('\n'),
    );
    expect(permissionViolations(file, doc, local)).toEqual([
      'bad.yml: the workflow-level permissions must be {} (each job asks for what it needs), not "write-all"',
      "bad.yml: jobs.none has no permissions: block (it would get the repository's default token scopes)",
      'bad.yml: jobs.writes asks for contents: write; only contents: read (and id-token: write with OIDC) are needed',
      'bad.yml: jobs.writes asks for id-token: write but assumes no AWS role',
      'bad.yml: jobs.oidc assumes an AWS role but lacks id-token: write',
    ]);
  });

  test('an input spliced into a script is refused', () => {
    const { file, doc } = workflow(['  a:', '    steps:', '      - run: echo "${{ inputs.project }}"'].join('\n'));
    expect(injectionViolations(file, doc)).toEqual([`bad.yml: jobs.a.steps[0] splices an input into its script; pass it through env: and quote "$VARIABLE"`]);
  });

  test('a free-text action, no input check, no environment, no concurrency and TF_VAR_* not from variables are refused', () => {
    const { file, doc } = workflow(
      [
        '  run:',
        '    env: { TF_VAR_env_name: dev, TF_VAR_project: acme }',
        '    steps:',
        "      - if: inputs.action == 'apply'",
        '        env: { PROJECT: "${{ inputs.project }}" }',
        '        run: make training-job project="$PROJECT"',
      ].join('\n'),
      '      action: { type: string }\n      environment: { type: string }\n      project: { type: string }',
    );
    const violations = dispatchViolations(file, doc).join('\n');
    expect(violations).toMatch(/input action must be a choice of \[apply, destroy\]/);
    expect(violations).toMatch(/input environment should be of type environment/);
    expect(violations).toMatch(/no workflow-level concurrency group/);
    expect(violations).toMatch(/no job runs \.github\/scripts\/check-inputs\.sh/);
    expect(violations).toMatch(/jobs\.run runs make without needing the input check job/);
    expect(violations).toMatch(/jobs\.run must run in environment: \$\{\{ inputs\.environment \}\}/);
    expect(violations).toMatch(/must set TF_VAR_env_name: \$\{\{ inputs\.environment \}\}/);
    expect(violations).toMatch(/must set TF_VAR_project from a variable/);
    expect(violations).toMatch(/must set TF_VAR_state_bucket_name from a variable/);
  });

  test('a concurrency group without the project, one that cancels a running apply, and an input check that misses an input are refused', () => {
    const parsed = parseWorkflow(
      'bad.yml',
      [
        'on:',
        '  workflow_dispatch:',
        '    inputs:',
        '      action: { type: choice, options: [apply, destroy] }',
        '      environment: { type: environment }',
        '      project: { type: string }',
        'concurrency:',
        '  group: mlops-${{ inputs.environment }}',
        '  cancel-in-progress: true',
        'jobs:',
        '  check:',
        '    steps:',
        '      - env: { INPUT_ACTION: "${{ inputs.action }}", INPUT_ENVIRONMENT: "${{ inputs.environment }}" }',
        '        run: .github/scripts/check-inputs.sh',
      ].join('\n'),
    );
    const violations = dispatchViolations(parsed.file, parsed.doc).join('\n');
    expect(violations).toMatch(/does not include inputs\.project/);
    expect(violations).toMatch(/cancel-in-progress: false/);
    expect(violations).toMatch(/jobs\.check checks inputs without INPUT_PROJECT/);
  });

  test('a VPN left up after a failure, or connected after make ran, is refused', () => {
    const { file, doc } = workflow(
      [
        '  run:',
        '    steps:',
        "      - if: inputs.action == 'apply'",
        '        env: { PROJECT: "${{ inputs.project }}" }',
        '        run: make training-job project="$PROJECT"',
        '      - uses: ./.github/actions/vpn-connect',
        '      - uses: ./.github/actions/vpn-disconnect',
      ].join('\n'),
    );
    expect(vpnViolations(file, doc)).toEqual([
      'bad.yml: jobs.run runs make before connecting to the VPN',
      'bad.yml: jobs.run disconnects from the VPN without if: always(), so a failed step would leave the tunnel up',
    ]);
    const never = workflow(['  run:', '    steps:', '      - uses: ./.github/actions/vpn-connect', '      - run: make training-job'].join('\n'));
    expect(vpnViolations(never.file, never.doc)).toEqual(['bad.yml: jobs.run connects to the VPN but never disconnects']);
  });
});
