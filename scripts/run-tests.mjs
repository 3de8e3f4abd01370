#!/usr/bin/env node
// Runs the jest tiers (all by default: unit synth validate integration workflows), then prints one
// closing line, `N passed, N failed`, so a run that executed no test is visible; exits non-zero on
// any failure and when no test ran.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tiers = process.argv.slice(2);
const resultsFile = join(root, '.mlops', 'test-results.json');
mkdirSync(dirname(resultsFile), { recursive: true });
rmSync(resultsFile, { force: true });

const args = ['--experimental-vm-modules', join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--json', `--outputFile=${resultsFile}`, '--forceExit'];
if (tiers.length > 0) args.push('--selectProjects', ...tiers);
const started = Date.now();
const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } });

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  skipped = results.numPendingTests + results.numTodoTests;
} catch {
  failed += 1;
  console.error('jest wrote no results: it did not run');
}
console.error(`\ntests took ${Math.round((Date.now() - started) / 1000)}s`);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
if (passed + failed === 0) {
  console.error('no test ran');
  process.exit(1);
}
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
