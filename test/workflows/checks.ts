import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * Checks of the GitHub Actions files (.github/workflows/*.yml, .github/actions/* /action.yml) that
 * actionlint does not make: pinned actions, OIDC instead of static keys, least permissions, inputs
 * that reach the same `make` targets a person runs, the VPN closed under `always()`. Each check is
 * a pure function from parsed files to violation messages (empty when the files are right), so the
 * tests can show that it catches a bad snippet as well as that the real files pass.
 */

export interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string | boolean;
  readonly env?: Record<string, unknown>;
  readonly with?: Record<string, unknown>;
  readonly shell?: string;
}

export interface Job {
  readonly name?: string;
  readonly needs?: string | string[];
  readonly permissions?: unknown;
  readonly environment?: string | { name?: string };
  readonly concurrency?: unknown;
  readonly env?: Record<string, unknown>;
  readonly steps?: Step[];
  readonly uses?: string;
}

export interface DispatchInput {
  readonly type?: string;
  readonly description?: string;
  readonly required?: boolean;
  readonly default?: unknown;
  readonly options?: unknown[];
}

export interface Workflow {
  readonly name?: string;
  readonly on?: unknown;
  readonly permissions?: unknown;
  readonly concurrency?: unknown;
  readonly env?: Record<string, unknown>;
  readonly jobs?: Record<string, Job>;
}

export interface ActionMetadata {
  readonly name?: string;
  readonly inputs?: Record<string, { required?: boolean; default?: unknown }>;
  readonly runs?: { using?: string; steps?: Step[] };
}

/** A parsed file with the path the messages name. */
export interface Parsed<T> {
  readonly file: string;
  readonly text: string;
  readonly doc: T;
}

export function parseWorkflow(file: string, text: string): Parsed<Workflow> {
  return { file, text, doc: (parse(text) ?? {}) as Workflow };
}

export function parseAction(file: string, text: string): Parsed<ActionMetadata> {
  return { file, text, doc: (parse(text) ?? {}) as ActionMetadata };
}

export function readWorkflows(repo: string): Parsed<Workflow>[] {
  const dir = join(repo, '.github', 'workflows');
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => parseWorkflow(`.github/workflows/${name}`, readFileSync(join(dir, name), 'utf8')));
}

/** Local composite actions, keyed by how a workflow names them (`./.github/actions/x`). */
export function readLocalActions(repo: string): Map<string, Parsed<ActionMetadata>> {
  const dir = join(repo, '.github', 'actions');
  const actions = new Map<string, Parsed<ActionMetadata>>();
  if (!existsSync(dir)) return actions;
  for (const name of readdirSync(dir).sort()) {
    const file = ['action.yml', 'action.yaml'].map((f) => join(dir, name, f)).find((f) => existsSync(f));
    if (file) actions.set(`./.github/actions/${name}`, parseAction(`.github/actions/${name}/action.yml`, readFileSync(file, 'utf8')));
  }
  return actions;
}

const jobsOf = (workflow: Workflow): [string, Job][] => Object.entries(workflow.jobs ?? {});
const stepsOf = (job: Job): Step[] => job.steps ?? [];
const stepLabel = (jobId: string, index: number, step: Step) => `jobs.${jobId}.steps[${index}]${step.name ? ` ("${step.name}")` : ''}`;

/** The workflow_dispatch inputs, or undefined when the workflow is not dispatched by hand. */
export function dispatchInputs(workflow: Workflow): Record<string, DispatchInput> | undefined {
  const on = workflow.on;
  if (on === 'workflow_dispatch') return {};
  if (Array.isArray(on)) return on.includes('workflow_dispatch') ? {} : undefined;
  if (on && typeof on === 'object' && 'workflow_dispatch' in on) {
    const dispatch = (on as Record<string, { inputs?: Record<string, DispatchInput> } | null>).workflow_dispatch;
    return dispatch?.inputs ?? {};
  }
  return undefined;
}

// --- Pinned actions -------------------------------------------------------------------------------

const FULL_SHA = /^[0-9a-f]{40}$/;
const EXACT_VERSION = /^v?\d+\.\d+\.\d+$/;

/** Every `uses:` is local, a Docker image by digest, or an action at a full commit SHA or an exact version. */
export function pinViolations(file: string, uses: { where: string; uses: string }[]): string[] {
  const violations: string[] = [];
  for (const { where, uses: ref } of uses) {
    if (ref.startsWith('./')) continue;
    if (ref.startsWith('docker://')) {
      if (!/@sha256:[0-9a-f]{64}$/.test(ref)) violations.push(`${file}: ${where} uses "${ref}": pin the image by digest (@sha256:…)`);
      continue;
    }
    const at = ref.lastIndexOf('@');
    const version = at > 0 ? ref.slice(at + 1) : '';
    if (!FULL_SHA.test(version) && !EXACT_VERSION.test(version)) {
      violations.push(`${file}: ${where} uses "${ref}": pin it to a full 40-character commit SHA (or an exact version such as v1.2.3), not a branch or a moving tag`);
    }
  }
  return violations;
}

/** The `uses:` of a workflow's jobs and steps, or of a composite action's steps. */
export function usesOf(doc: Workflow | ActionMetadata): { where: string; uses: string }[] {
  const found: { where: string; uses: string }[] = [];
  if ('jobs' in doc && doc.jobs) {
    for (const [jobId, job] of jobsOf(doc)) {
      if (job.uses) found.push({ where: `jobs.${jobId}`, uses: job.uses });
      stepsOf(job).forEach((step, index) => step.uses && found.push({ where: stepLabel(jobId, index, step), uses: step.uses }));
    }
  }
  if ('runs' in doc && doc.runs) {
    (doc.runs.steps ?? []).forEach((step, index) => step.uses && found.push({ where: `runs.steps[${index}]`, uses: step.uses }));
  }
  return found;
}

/** A SHA pin says which release it is (`@<sha> # v4.2.2`), so a reader and an updater can tell. */
export function pinCommentViolations(file: string, text: string): string[] {
  const violations: string[] = [];
  text.split('\n').forEach((line, index) => {
    const match = /uses:\s*([^\s#]+@[0-9a-f]{40})\s*(#.*)?$/.exec(line);
    if (match && !/#\s*v\d/.test(match[2] ?? '')) violations.push(`${file}:${index + 1}: "${match[1]}" has no "# vX.Y.Z" comment naming the release`);
  });
  return violations;
}

// --- AWS credentials --------------------------------------------------------------------------------

const STATIC_KEY = /\b(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|aws-access-key-id|aws-secret-access-key|aws-session-token)\b/i;
const CONFIGURE_AWS_CREDENTIALS = /^aws-actions\/configure-aws-credentials@/;

/** No static AWS key anywhere in the file; configure-aws-credentials only with a role to assume. */
export function staticKeyViolations(file: string, text: string, doc: Workflow | ActionMetadata): string[] {
  const violations: string[] = [];
  text.split('\n').forEach((line, index) => {
    const match = STATIC_KEY.exec(line);
    if (match) violations.push(`${file}:${index + 1}: mentions ${match[1]}: AWS credentials come from OIDC (role-to-assume), never from static keys`);
  });
  for (const { where, uses } of usesOf(doc)) {
    if (!CONFIGURE_AWS_CREDENTIALS.test(uses)) continue;
    const step = stepAt(doc, where);
    if (!step?.with?.['role-to-assume']) violations.push(`${file}: ${where} configures AWS credentials without role-to-assume`);
  }
  return violations;
}

function stepAt(doc: Workflow | ActionMetadata, where: string): Step | undefined {
  const job = /^jobs\.([^.]+)\.steps\[(\d+)\]/.exec(where);
  if (job && 'jobs' in doc) return doc.jobs?.[job[1]]?.steps?.[Number(job[2])];
  const run = /^runs\.steps\[(\d+)\]/.exec(where);
  if (run && 'runs' in doc) return doc.runs?.steps?.[Number(run[1])];
  return undefined;
}

// --- Permissions -----------------------------------------------------------------------------------

/** Does this job assume an AWS role (directly or through a local composite action)? */
export function jobUsesOidc(job: Job, actions: Map<string, Parsed<ActionMetadata>>): boolean {
  return stepsOf(job).some((step) => {
    if (!step.uses) return false;
    if (CONFIGURE_AWS_CREDENTIALS.test(step.uses)) return true;
    const local = actions.get(step.uses.replace(/\/$/, ''));
    return (local?.doc.runs?.steps ?? []).some((inner) => inner.uses !== undefined && CONFIGURE_AWS_CREDENTIALS.test(inner.uses));
  });
}

/**
 * Every job declares its own `permissions:` as a mapping; `contents` at most read; `id-token: write`
 * exactly where the job assumes an AWS role; nothing else. The workflow-level block, if any, grants nothing.
 */
export function permissionViolations(file: string, workflow: Workflow, actions: Map<string, Parsed<ActionMetadata>>): string[] {
  const violations: string[] = [];
  if (workflow.permissions !== undefined) {
    const top = workflow.permissions;
    if (typeof top !== 'object' || top === null || Object.keys(top).length > 0) {
      violations.push(`${file}: the workflow-level permissions must be {} (each job asks for what it needs), not ${JSON.stringify(top)}`);
    }
  }
  for (const [jobId, job] of jobsOf(workflow)) {
    const permissions = job.permissions;
    if (permissions === undefined) {
      violations.push(`${file}: jobs.${jobId} has no permissions: block (it would get the repository's default token scopes)`);
      continue;
    }
    if (typeof permissions !== 'object' || permissions === null) {
      violations.push(`${file}: jobs.${jobId} permissions must list scopes one by one, not "${String(permissions)}"`);
      continue;
    }
    const oidc = jobUsesOidc(job, actions);
    for (const [scope, level] of Object.entries(permissions as Record<string, unknown>)) {
      if (scope === 'contents' && (level === 'read' || level === 'none')) continue;
      if (scope === 'id-token' && level === 'write' && oidc) continue;
      if (scope === 'id-token' && level === 'write') violations.push(`${file}: jobs.${jobId} asks for id-token: write but assumes no AWS role`);
      else violations.push(`${file}: jobs.${jobId} asks for ${scope}: ${String(level)}; only contents: read (and id-token: write with OIDC) are needed`);
    }
    const asked = permissions as Record<string, unknown>;
    if (oidc && asked['id-token'] !== 'write') violations.push(`${file}: jobs.${jobId} assumes an AWS role but lacks id-token: write`);
  }
  return violations;
}

// --- Script injection ------------------------------------------------------------------------------

/** Inputs reach shell scripts through env:, never spliced into the script text (`${{ inputs.x }}` in run:). */
export function injectionViolations(file: string, doc: Workflow | ActionMetadata): string[] {
  const violations: string[] = [];
  const check = (where: string, step: Step) => {
    if (step.run && /\$\{\{\s*(inputs|github\.event)\./.test(step.run)) {
      violations.push(`${file}: ${where} splices an input into its script; pass it through env: and quote "$VARIABLE"`);
    }
  };
  if ('jobs' in doc) for (const [jobId, job] of jobsOf(doc)) stepsOf(job).forEach((step, index) => check(stepLabel(jobId, index, step), step));
  if ('runs' in doc) (doc.runs?.steps ?? []).forEach((step, index) => check(`runs.steps[${index}]`, step));
  return violations;
}

// --- make targets ----------------------------------------------------------------------------------

/** Makefile targets with their recipe lines (continuation lines joined). */
export function parseMakefile(text: string): Map<string, string[]> {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const targets = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of lines) {
    if (line.startsWith('\t')) {
      current?.push(line.slice(1));
      continue;
    }
    current = undefined;
    if (/^\s*(#|$)/.test(line)) continue;
    const rule = /^([A-Za-z0-9_.%/ -]+?)\s*:(?!=)(.*)$/.exec(line);
    if (!rule || /^\s*[A-Za-z0-9_]+\s*[:?+]?=/.test(line)) continue;
    const recipe: string[] = [];
    const inline = /;(.*)$/.exec(rule[2].replace(/##.*$/, ''));
    if (inline) recipe.push(inline[1].trim());
    for (const target of rule[1].trim().split(/\s+/)) {
      if (!target.startsWith('.')) targets.set(target, recipe);
    }
    current = recipe;
  }
  return targets;
}

/**
 * Command-line variables (`$(project)`) a target's recipe reads — the Makefile's own variables are
 * upper case — split into required ones and optional ones (tested with `$(if $(job),…)`).
 */
export function recipeVariables(recipe: string[]): { required: Set<string>; optional: Set<string> } {
  const required = new Set<string>();
  const optional = new Set<string>();
  for (const line of recipe) {
    // `$(if $(x),…)` and `$(if $(filter true,$(x)),…)` (a boolean flag) read x when it is given.
    for (const match of line.matchAll(/\$\(if \$[({](?:filter [^,()]*,\$[({])?([a-z][a-z0-9_]*)[)}]/g)) optional.add(match[1]);
    for (const match of line.matchAll(/\$[({]([a-z][a-z0-9_]*)[)}]/g)) if (!optional.has(match[1])) required.add(match[1]);
  }
  return { required, optional };
}

export interface MakeCall {
  readonly where: string;
  readonly jobId: string;
  readonly stepIndex: number;
  readonly target: string;
  /** make variable → the workflow input it comes from (undefined when it comes from no input). */
  readonly variables: Map<string, string | undefined>;
  readonly condition: string;
}

const INPUT_EXPRESSION = /^\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}$/;

/** Every `make <target> var=value` in the workflow's run: steps, with each value traced back to an input. */
export function makeCalls(workflow: Workflow): MakeCall[] {
  const calls: MakeCall[] = [];
  for (const [jobId, job] of jobsOf(workflow)) {
    stepsOf(job).forEach((step, stepIndex) => {
      if (!step.run) return;
      for (const match of step.run.matchAll(/(?:^|[\n;&|(]\s*)make\s+([^\n;&|)#]*)/g)) {
        const words = match[1].trim().split(/\s+/).filter(Boolean);
        const variables = new Map<string, string | undefined>();
        const targets: string[] = [];
        for (const word of words) {
          const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word);
          if (assignment) variables.set(assignment[1], traceToInput(assignment[2], step, job, workflow));
          else if (!word.startsWith('-')) targets.push(word);
        }
        for (const target of targets.length > 0 ? targets : ['(default goal)']) {
          calls.push({ where: stepLabel(jobId, stepIndex, step), jobId, stepIndex, target, variables, condition: String(step.if ?? '') });
        }
      }
    });
  }
  return calls;
}

function traceToInput(value: string, step: Step, job: Job, workflow: Workflow): string | undefined {
  const unquoted = value.replace(/^(["'])(.*)\1$/, '$2');
  const direct = INPUT_EXPRESSION.exec(unquoted);
  if (direct) return direct[1];
  const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(unquoted);
  if (!variable) return undefined;
  const source = step.env?.[variable[1]] ?? job.env?.[variable[1]] ?? workflow.env?.[variable[1]];
  const fromInput = typeof source === 'string' ? INPUT_EXPRESSION.exec(source.trim()) : null;
  return fromInput?.[1];
}

/** The inputs that only steer the run (which target, where), not values handed to make. */
export const STEERING_INPUTS = ['action', 'environment'];

/**
 * Each `make X var=…` names a Makefile target; each variable comes from the workflow input of the
 * same name and is read by the target's recipe; each variable the recipe reads is passed; every
 * input other than action/environment reaches make; with an action input, `apply` runs X and
 * `destroy` runs X-rm.
 */
export function makeCallViolations(file: string, workflow: Workflow, makefile: Map<string, string[]>): string[] {
  const violations: string[] = [];
  const inputs = dispatchInputs(workflow) ?? {};
  const calls = makeCalls(workflow);
  const used = new Set<string>();
  for (const call of calls) {
    const recipe = makefile.get(call.target);
    if (!recipe) {
      violations.push(`${file}: ${call.where} runs \`make ${call.target}\` but the Makefile has no target ${call.target}`);
      continue;
    }
    const reads = recipeVariables(recipe);
    for (const [variable, input] of call.variables) {
      if (input === undefined) violations.push(`${file}: ${call.where} passes ${variable}= from no workflow input (use env: NAME: \${{ inputs.${variable} }} and ${variable}="$NAME")`);
      else if (!(input in inputs)) violations.push(`${file}: ${call.where} passes ${variable}= from inputs.${input}, which the workflow does not declare`);
      else if (input !== variable) violations.push(`${file}: ${call.where} passes ${variable}= from inputs.${input}; the input and the make variable must have the same name`);
      if (input) used.add(input);
      if (!reads.required.has(variable) && !reads.optional.has(variable)) violations.push(`${file}: ${call.where} passes ${variable}= but \`make ${call.target}\` does not read $(${variable})`);
    }
    for (const variable of reads.required) {
      if (!call.variables.has(variable)) violations.push(`${file}: ${call.where} runs \`make ${call.target}\` without ${variable}=, which its recipe reads`);
    }
    if ('action' in inputs) {
      const destroy = /inputs\.action\s*==\s*'destroy'/.test(call.condition);
      const apply = /inputs\.action\s*==\s*'apply'/.test(call.condition);
      // Beyond apply and destroy, an action runs the make target of its own name (promote → make promote).
      const other = extraActions(inputs.action).find((action) => new RegExp(`inputs\\.action\\s*==\\s*'${action}'`).test(call.condition));
      if (other && call.target !== other) violations.push(`${file}: ${call.where} runs \`make ${call.target}\` for action ${other}; it runs \`make ${other}\``);
      if (!destroy && !apply && !other) violations.push(`${file}: ${call.where} runs \`make ${call.target}\` whatever the action input says (add if: inputs.action == 'apply' or 'destroy')`);
      if (destroy && !call.target.endsWith('-rm')) violations.push(`${file}: ${call.where} runs \`make ${call.target}\` for destroy; destroy runs a -rm target`);
      if (apply && call.target.endsWith('-rm')) violations.push(`${file}: ${call.where} runs \`make ${call.target}\` for apply; apply runs the target without -rm`);
    }
  }
  if (dispatchInputs(workflow) !== undefined) {
    for (const input of Object.keys(inputs)) {
      if (!STEERING_INPUTS.includes(input) && !used.has(input)) violations.push(`${file}: input ${input} reaches no make call`);
    }
    if (calls.length === 0) violations.push(`${file}: a dispatched workflow runs no make target`);
  }
  return violations;
}

// --- Dispatched lifecycle workflows -----------------------------------------------------------------

/** The action choices after apply and destroy (deployment-job: promote, shadow-rm). */
export const extraActions = (action: { options?: unknown[] } | undefined): string[] =>
  (action?.options ?? []).slice(2).filter((option): option is string => typeof option === 'string');

export const CHECK_INPUTS_SCRIPT = '.github/scripts/check-inputs.sh';

/**
 * A lifecycle workflow: `action` is a choice of apply/destroy; `environment` picks the GitHub
 * environment of the job that runs make (so production can require approval) and is TF_VAR_env_name;
 * TF_VAR_* come from variables; one concurrency group per environment (and project) that never
 * cancels a running apply/destroy; a first job checks every input with the check script and the
 * make job waits for it.
 */
export function dispatchViolations(file: string, workflow: Workflow): string[] {
  const inputs = dispatchInputs(workflow);
  if (inputs === undefined) return [];
  const violations: string[] = [];
  const action = inputs.action;
  if (!action) violations.push(`${file}: no action input (apply / destroy)`);
  else if (action.type !== 'choice' || JSON.stringify(action.options?.slice(0, 2)) !== JSON.stringify(['apply', 'destroy'])) {
    violations.push(`${file}: input action must be a choice of [apply, destroy] (then any actions of the step's own), not ${JSON.stringify({ type: action.type, options: action.options })}`);
  }
  if (!inputs.environment) violations.push(`${file}: no environment input`);
  else if (inputs.environment.type !== 'environment') violations.push(`${file}: input environment should be of type environment (a list of the repository's environments)`);

  const concurrency = workflow.concurrency as { group?: string; 'cancel-in-progress'?: unknown } | undefined;
  const group = typeof concurrency === 'string' ? concurrency : concurrency?.group;
  if (!group) violations.push(`${file}: no workflow-level concurrency group, so two runs could race for one Terraform state`);
  else {
    if (!/inputs\.environment/.test(group)) violations.push(`${file}: concurrency group "${group}" does not include inputs.environment`);
    if (inputs.project && !/inputs\.project/.test(group)) violations.push(`${file}: concurrency group "${group}" does not include inputs.project`);
    if (typeof concurrency !== 'object' || concurrency['cancel-in-progress'] !== false) {
      violations.push(`${file}: concurrency must set cancel-in-progress: false (a cancelled apply or destroy leaves a half-changed state)`);
    }
  }

  const makeJobs = new Set(makeCalls(workflow).map((call) => call.jobId));
  const checkJobs = jobsOf(workflow).filter(([, job]) => stepsOf(job).some((step) => step.run?.includes(CHECK_INPUTS_SCRIPT)));
  if (checkJobs.length === 0) violations.push(`${file}: no job runs ${CHECK_INPUTS_SCRIPT} to check the inputs first`);
  for (const [jobId, job] of checkJobs) {
    const step = stepsOf(job).find((s) => s.run?.includes(CHECK_INPUTS_SCRIPT));
    for (const input of Object.keys(inputs)) {
      const variable = `INPUT_${input.toUpperCase()}`;
      const value = step?.env?.[variable];
      if (typeof value !== 'string' || INPUT_EXPRESSION.exec(value.trim())?.[1] !== input) {
        violations.push(`${file}: jobs.${jobId} checks inputs without ${variable}: \${{ inputs.${input} }}`);
      }
    }
    if (job.environment !== undefined) violations.push(`${file}: jobs.${jobId} checks inputs inside an environment; check them before any approval is asked`);
  }
  for (const jobId of makeJobs) {
    const job = workflow.jobs?.[jobId] ?? {};
    const needs = Array.isArray(job.needs) ? job.needs : job.needs ? [job.needs] : [];
    if (!checkJobs.some(([checkId]) => needs.includes(checkId))) violations.push(`${file}: jobs.${jobId} runs make without needing the input check job`);
    const environment = typeof job.environment === 'object' ? job.environment?.name : job.environment;
    if (!environment || !/^\$\{\{\s*inputs\.environment\s*\}\}$/.test(environment)) {
      violations.push(`${file}: jobs.${jobId} must run in environment: \${{ inputs.environment }} (approval rules and environment variables/secrets)`);
    }
    const env = job.env ?? {};
    if (env.TF_VAR_env_name !== '${{ inputs.environment }}') violations.push(`${file}: jobs.${jobId} must set TF_VAR_env_name: \${{ inputs.environment }}`);
    for (const name of ['TF_VAR_state_bucket_name', 'TF_VAR_region', 'TF_VAR_project']) {
      if (typeof env[name] !== 'string' || !/^\$\{\{\s*vars\.[A-Z0-9_]+\s*\}\}$/.test(env[name] as string)) {
        violations.push(`${file}: jobs.${jobId} must set ${name} from a variable (\${{ vars.NAME }})`);
      }
    }
  }
  return violations;
}

// --- VPN -------------------------------------------------------------------------------------------

export const VPN_CONNECT = './.github/actions/vpn-connect';
export const VPN_DISCONNECT = './.github/actions/vpn-disconnect';

/** A job that connects to the VPN does so before make and disconnects after it under `if: always()`. */
export function vpnViolations(file: string, workflow: Workflow): string[] {
  const violations: string[] = [];
  const calls = makeCalls(workflow);
  for (const [jobId, job] of jobsOf(workflow)) {
    const steps = stepsOf(job);
    const connect = steps.findIndex((step) => step.uses === VPN_CONNECT);
    if (connect < 0) continue;
    const makeSteps = calls.filter((call) => call.jobId === jobId).map((call) => call.stepIndex);
    const disconnect = steps.findIndex((step) => step.uses === VPN_DISCONNECT);
    if (makeSteps.some((index) => index < connect)) violations.push(`${file}: jobs.${jobId} runs make before connecting to the VPN`);
    if (disconnect < 0) {
      violations.push(`${file}: jobs.${jobId} connects to the VPN but never disconnects`);
      continue;
    }
    if (makeSteps.some((index) => index > disconnect)) violations.push(`${file}: jobs.${jobId} disconnects from the VPN before a make step`);
    if (!/always\(\)/.test(String(steps[disconnect].if ?? ''))) {
      violations.push(`${file}: jobs.${jobId} disconnects from the VPN without if: always(), so a failed step would leave the tunnel up`);
    }
  }
  return violations;
}

/** `vars.X` and `secrets.X` a workflow reads (GITHUB_TOKEN aside). */
export function variablesAndSecrets(text: string): { vars: Set<string>; secrets: Set<string> } {
  const vars = new Set<string>();
  const secrets = new Set<string>();
  for (const match of text.matchAll(/\b(vars|secrets)\.([A-Za-z0-9_]+)/g)) {
    if (match[2] === 'GITHUB_TOKEN') continue;
    (match[1] === 'vars' ? vars : secrets).add(match[2]);
  }
  return { vars, secrets };
}
