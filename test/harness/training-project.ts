import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import type { App } from 'cdktf';
import { buildTrainingStack } from '../../cli/builders/training.js';
import { loadMlProject } from '../../cli/ml-project.js';
import { repoRoot } from '../../cli/paths.js';
import { parseSettings } from '../../core/settings/parse.js';
import { type Environment } from '../../core/environment.js';
import { synthesize } from '../../cli/synth.js';
import { expectExit, type CliResult } from './cli.js';

const scratch: string[] = [];
/** A temporary folder removed by removeTrainingScratch (call it in afterAll). */
export function trainingScratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
export function removeTrainingScratch(): void {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export const TRAINING_TEST_ENVIRONMENT: Environment = { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme', envName: 'dev' };

/**
 * A copy of ml-projects/test-project under another name in a temporary ml-projects folder, with the
 * resource-requirements.json given (or none).
 */
export function copyTestProject(name: string, requirements?: unknown, root: string = trainingScratchDir('mlops-training-projects-')): string {
  cpSync(join(repoRoot, 'ml-projects', 'test-project'), join(root, name), { recursive: true, filter: (source) => !/mlruns|__pycache__/.test(source) });
  const requirementsFile = join(root, name, 'resource-requirements.json');
  if (requirements === undefined) writeFileSync(requirementsFile, '[]\n');
  else writeFileSync(requirementsFile, `${JSON.stringify(requirements, null, 2)}\n`);
  return root;
}

/** What a Fargate training stack leaves in moto (motoResourceNames), for the prefix `<project>-<env>-<ml-project>`. */
export const fargateTrainingResources = (prefix: string, jobDefinitionRevision: number | string) => [
  `compute-environment ${prefix}-training-fargate`,
  `ecr-repository ${prefix}-training`,
  `iam-role ${prefix}-train-batch`,
  `iam-role ${prefix}-train-exec`,
  `iam-role ${prefix}-train-job`,
  `job-definition ${prefix}-training:${jobDefinitionRevision}`,
  `job-queue ${prefix}-training`,
  `log-group /aws/batch/${prefix}-training`,
  `security-group ${prefix}-training-jobs`,
];

/** Synthesizes one project's training stack with the given settings into a temporary folder; returns its folder and JSON. */
export function synthTrainingStack(options: { settings?: object; requirements?: unknown; name?: string; environment?: Environment } = {}) {
  const name = options.name ?? 'wine';
  const root = copyTestProject(name, options.requirements);
  const settings = parseSettings(JSON.stringify(options.settings ?? {}), 'test-settings.json');
  const config = { environment: options.environment ?? TRAINING_TEST_ENVIRONMENT, settings };
  const outdir = trainingScratchDir('mlops-training-synth-');
  const [dir] = synthesize((app: App) => [buildTrainingStack(app, config, loadMlProject(name, root))], outdir);
  return { dir, json: JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as TerraformJson, outdir, root };
}


// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TerraformJson = { resource: Record<string, Record<string, any>>; data?: Record<string, Record<string, any>>; output: Record<string, { value: string }>; terraform: any };

/** The one resource of a type (fails when there are none or several). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function only(json: TerraformJson, type: string): any {
  const resources = Object.values(json.resource[type] ?? {});
  if (resources.length !== 1) throw new Error(`expected one ${type}, found ${resources.length}`);
  return resources[0];
}

/**
 * What the first `training-job --no-wait --json` of the test project "wine" (0.5 vCPU, 2 GB on
 * Fargate) says when it creates its stack; returns what it printed on stdout.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expectFirstTrainingSubmission(result: CliResult): any {
  expectExit(result, 0);
  expect(result.stderr).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy\./);
  expect(result.stderr).toContain('image build skipped');
  // The first plan knows the job's shape from its tags (0.5 vCPU × $0.04048 + 2 GB × $0.004445 in eu-west-1, core/cost/price-table.ts).
  expect(result.stderr).toContain('Per training run: $0.0291 per job-hour (Fargate 0.5 vCPU × $0.04048 + 2 GB × $0.004445); at most $0.70 per attempt at the 24 h timeout');
  const submitted = JSON.parse(result.stdout);
  expect(submitted.cost.perRun.hourUsd).toBeCloseTo(0.5 * 0.04048 + 2 * 0.004445, 9);
  expect(submitted.jobId).toMatch(/^[0-9a-f-]{36}$/);
  expect(submitted.jobName).toMatch(/^batch-wine-\d{8}T\d{6}-[a-z0-9]+$/);
  return submitted;
}
