// Tiers that each run alone (`node scripts/run-tests.mjs unit`, or jest --selectProjects unit):
// unit (pure functions, stubbed clients), synth (Terraform JSON), validate (tofu validate with the
// offline provider), integration (real MLflow server, moto, OpenTofu), workflows (GitHub Actions).
// The project is ESM (execa and yargs are ESM-only), so ts-jest runs in ESM mode under
// --experimental-vm-modules.
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
};
const tier = (name, { long = false } = {}) => ({
  ...common,
  displayName: name,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  setupFilesAfterEnv: long ? ['<rootDir>/test/harness/long-timeout.ts'] : [],
});

export default {
  testTimeout: 60_000,
  projects: [tier('unit'), tier('synth'), tier('validate', { long: true }), tier('integration', { long: true }), tier('workflows')],
};
