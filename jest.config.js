// Tiers that each run alone (`node scripts/run-tests.mjs unit`, or jest --selectProjects unit):
// unit (pure functions, stubbed clients), synth (Terraform JSON), validate (tofu validate with the
// offline provider), integration (real MLflow server, moto, OpenTofu), workflows (GitHub Actions).
// The project is ESM (execa and yargs are ESM-only), so ts-jest runs in ESM mode under
// --experimental-vm-modules.
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, tsconfig: 'tsconfig.json' }] },
};
const tier = (name, timeoutMs) => ({ ...common, displayName: name, testMatch: [`<rootDir>/test/${name}/**/*.test.ts`], testTimeout: timeoutMs });

export default {
  projects: [tier('unit', 10_000), tier('synth', 30_000), tier('validate', 300_000), tier('integration', 1_800_000), tier('workflows', 120_000)],
};
