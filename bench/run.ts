/**
 * `make bench`: the figures issue 11 asks for, measured side by side in one run against moto, a real
 * MLflow server and OpenTofu (never AWS), printed as a table and written to bench/results.md.
 * Not part of `make test`: a full run takes tens of minutes. `--runs N` sets how many samples each
 * median takes (default 5; the emulator sections take min(N, 3), each sample there is an apply).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { repoRoot } from '../cli/paths.js';
import { startTestMlflowServer, type TestMlflowServer } from '../test/harness/mlflow.js';
import { emulatorCliEnv, motoPython, startTestMoto, TEST_REGION, type TestMoto } from '../test/harness/moto.js';
import { requireTool, toolchainEnv } from '../test/harness/toolchain.js';
import { type Comparison, parseBashTimes, resultsDocument, resultsTable, type Sample } from './report.js';

const { values: options } = parseArgs({ options: { runs: { type: 'string', default: '5' }, only: { type: 'string' } } });
const RUNS = Number(options.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a whole number ≥ 1, got "${options.runs}"`);
const EMULATOR_RUNS = Math.min(RUNS, 3);
const SECTIONS = options.only ? options.only.split(',') : ['synth', 'startup', 'second-run', 'plan-scaling'];
const CLI = ['node', join(repoRoot, 'dist', 'cli', 'main.js')];
const STATE_BUCKET = 'bench-tf-state';
const ENVIRONMENT = { TF_VAR_state_bucket_name: STATE_BUCKET, TF_VAR_region: TEST_REGION, TF_VAR_project: 'bench', TF_VAR_env_name: 'dev' };

const work = mkdtempSync(join(tmpdir(), 'mlops-bench-'));
const started = Date.now();
const loadDuring: number[] = [];
const loadSampler = setInterval(() => loadDuring.push(loadavg()[0]), 30_000);
const say = (line: string) => process.stderr.write(`[${Math.round((Date.now() - started) / 1000)}s] ${line}\n`);

/** Runs a command under bash's `times`, so the CPU of every process it starts is counted; fails on a non-zero exit. */
let commands = 0;
async function timed(command: string[], env: Record<string, string | undefined>, label: string): Promise<Sample> {
  commands += 1;
  const log = join(work, `command-${commands}.log`);
  const begin = performance.now();
  const result = await execa('bash', ['-c', '"$@" >"$BENCH_LOG" 2>&1; status=$?; times; exit $status', 'bench', ...command], {
    cwd: repoRoot,
    env: { ...env, BENCH_LOG: log, CI: 'true', CHECKPOINT_DISABLE: '1', FORCE_COLOR: '0' },
    extendEnv: true,
    reject: false,
  });
  const wallSeconds = (performance.now() - begin) / 1000;
  if (result.exitCode !== 0) throw new Error(`${label} failed (exit ${result.exitCode}):\n${readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')}`);
  return { wallSeconds, cpuSeconds: parseBashTimes(String(result.stdout)) };
}

/** `count` samples after one warm-up run that is not counted (file caches, a rebuild cdktf's app may start). */
async function samples(count: number, label: string, measure: () => Promise<Sample>): Promise<Sample[]> {
  await measure();
  const taken: Sample[] = [];
  for (let run = 1; run <= count; run += 1) {
    taken.push(await measure());
    say(`${label}: run ${run}/${count}, ${taken.at(-1)!.cpuSeconds.toFixed(2)} s CPU, ${taken.at(-1)!.wallSeconds.toFixed(2)} s wall`);
  }
  return taken;
}

/** A folder of `count` ML projects, each a copy of ml-projects/test-project. */
function generatedProjects(count: number, settings: { requirements?: unknown } = {}): string {
  const dir = join(work, `projects-${count}-${Math.random().toString(36).slice(2, 8)}`);
  for (let index = 1; index <= count; index += 1) addProject(dir, projectName(index), settings.requirements);
  return dir;
}
const projectName = (index: number) => `model-${String(index).padStart(2, '0')}`;
function addProject(dir: string, name: string, requirements: unknown = []) {
  cpSync(join(repoRoot, 'ml-projects', 'test-project'), join(dir, name), { recursive: true, filter: (source) => !/mlruns|__pycache__/.test(source) });
  writeFileSync(join(dir, name, 'resource-requirements.json'), `${JSON.stringify(requirements)}\n`);
}

/** `mlops synth` against cdktf-cli running the same app (cdktf.json), for 1, 10 and 50 projects. */
async function synthesis(): Promise<Comparison[]> {
  const comparisons: Comparison[] = [];
  for (const count of [1, 10, 50]) {
    const env = { ...ENVIRONMENT, MLOPS_PROJECTS_DIR: generatedProjects(count), MLOPS_STATE_DIR: join(work, `synth-state-${count}`), MLOPS_OUTDIR: join(work, `synth-${count}`) };
    const ours = await samples(RUNS, `mlops synth, ${count} projects`, () => timed([...CLI, 'synth'], env, 'mlops synth'));
    const cdktf = join(repoRoot, 'node_modules', '.bin', 'cdktf');
    // cdktf-cli strips TF_VAR_* from its app; the app reads the environment `mlops synth` recorded above.
    const reference = await samples(RUNS, `cdktf synth, ${count} projects`, () =>
      timed([cdktf, 'synth', '--output', join(work, `cdktf-${count}`)], { ...env, MLOPS_OUTDIR: undefined }, 'cdktf synth'),
    );
    comparisons.push({ section: 'Synthesis of every stack', case: `${count} project${count > 1 ? 's' : ''} (${2 * count + 1} stacks)`, ours: { label: 'mlops synth', samples: ours }, reference: { label: 'cdktf synth', samples: reference } });
  }
  return comparisons;
}

async function startup(): Promise<Comparison[]> {
  const runs = Math.max(RUNS, 10);
  const ours = await samples(runs, 'mlops --help', () => timed([...CLI, '--help'], {}, 'mlops --help'));
  const reference = await samples(runs, 'node -e 0', () => timed(['node', '-e', '0'], {}, 'node -e 0'));
  return [{ section: 'Start-up', case: 'print the help', ours: { label: 'mlops --help', samples: ours }, reference: { label: 'node -e 0', samples: reference } }];
}

interface Emulator {
  moto: TestMoto;
  mlflow: TestMlflowServer;
  tools: Record<string, string>;
  env: (projectsDir: string, settings: object) => Record<string, string>;
}

async function startEmulator(): Promise<Emulator> {
  const tools = toolchainEnv();
  for (const tool of ['MLOPS_TERRAFORM_BIN', 'TF_CLI_CONFIG_FILE', 'MLOPS_PYTHON_BIN']) requireTool(tools, tool);
  say('starting moto and MLflow');
  const [moto, mlflow] = await Promise.all([startTestMoto({ extraEnv: { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } }), startTestMlflowServer()]);
  // Batch's simple mode: a submitted job finishes at once without Docker.
  await fetch(`${moto.endpoint}/moto-api/config`, { method: 'POST', body: JSON.stringify({ batch: { use_docker: false } }) });
  const s3 = new S3Client({ endpoint: moto.endpoint, region: TEST_REGION, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await s3.send(new CreateBucketCommand({ Bucket: STATE_BUCKET, CreateBucketConfiguration: { LocationConstraint: TEST_REGION } }));
  return {
    moto,
    mlflow,
    tools,
    env: (projectsDir, settings) => {
      const dir = mkdtempSync(join(work, 'env-'));
      writeFileSync(join(dir, 'settings.json'), JSON.stringify({ tracking_uri: mlflow.url, ...settings }));
      return {
        ...emulatorCliEnv(tools, moto, STATE_BUCKET, { project: 'bench', envName: 'dev' }),
        MLOPS_PROJECTS_DIR: projectsDir,
        MLOPS_SETTINGS_FILE: join(dir, 'settings.json'),
        MLOPS_OUTDIR: join(dir, 'cdktf.out'),
        MLOPS_STATE_DIR: join(dir, 'state'),
        MLOPS_POLL_SECONDS: '1',
      };
    },
  };
}

const FARGATE_REQUIREMENTS = [
  { type: 'VCPU', value: '0.5' },
  { type: 'MEMORY', value: '2048' },
];

/** The first `training-job`/`deployment-job` (creates everything) against a second one with nothing changed: the CLI's own overhead. */
async function secondRun(emulator: Emulator): Promise<Comparison[]> {
  const projects = generatedProjects(0);
  addProject(projects, 'trainer', FARGATE_REQUIREMENTS);
  const trainingEnv = emulator.env(projects, { training: { job_poll_seconds: 1 } });
  // --no-wait: the job itself is not measured, only what the CLI does before it (checks, plan, apply, submit).
  const train = [...CLI, 'training-job', '--project', 'trainer', '--image-build', 'skip', '--no-wait', '--json'];
  const firstTraining: Sample[] = [];
  const secondTraining: Sample[] = [];
  for (let run = 1; run <= EMULATOR_RUNS; run += 1) {
    firstTraining.push(await timed(train, trainingEnv, 'first training-job'));
    secondTraining.push(await timed(train, trainingEnv, 'second training-job'));
    say(`training-job: run ${run}/${EMULATOR_RUNS}, first ${firstTraining.at(-1)!.wallSeconds.toFixed(1)} s, second ${secondTraining.at(-1)!.wallSeconds.toFixed(1)} s wall`);
    await timed([...CLI, 'training-job-rm', '--project', 'trainer', '--yes'], trainingEnv, 'training-job-rm');
  }

  addProject(projects, 'server', []);
  const trained = await execa(join(emulator.tools.MLOPS_PYTHON_BIN, 'python'), [join(projects, 'server', 'train.py')], {
    env: { ...process.env, MLFLOW_TRACKING_URI: emulator.mlflow.url, MLFLOW_EXPERIMENT_NAME: 'server' },
    reject: false,
    all: true,
  });
  if (trained.exitCode !== 0) throw new Error(`training the deployment's model failed:\n${trained.all}`);
  const network = JSON.parse(
    await motoPython(
      emulator.moto,
      "ec2 = boto3.client('ec2', **kw)\nvpc = ec2.create_vpc(CidrBlock='10.30.0.0/16')['Vpc']['VpcId']\n" +
        "subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock='10.30.%d.0/24' % i, AvailabilityZone=kw['region_name'] + az)['Subnet']['SubnetId'] for i, az in enumerate('ab')]\n" +
        "print(json.dumps({'vpcId': vpc, 'subnetIds': subnets}))",
    ),
  );
  const deploymentEnv = emulator.env(projects, { deployment: { vpc_id: network.vpcId, subnet_ids: network.subnetIds } });
  const deploy = [...CLI, 'deployment-job', '--project', 'server', '--model', '1', '--image-build', 'skip', '--json'];
  const firstDeployment: Sample[] = [];
  const secondDeployment: Sample[] = [];
  for (let run = 1; run <= EMULATOR_RUNS; run += 1) {
    // The smoke test's answers: moto's InvokeEndpoint returns what its results queue holds.
    await fetch(`${emulator.moto.endpoint}/moto-api/static/sagemaker/endpoint-results`, {
      method: 'POST',
      body: JSON.stringify({ region: TEST_REGION, results: [1, 2].map(() => ({ Body: '{"predictions": [0]}', ContentType: 'application/json', InvokedProductionVariant: 'primary', CustomAttributes: '' })) }),
    });
    firstDeployment.push(await timed(deploy, deploymentEnv, 'first deployment-job'));
    secondDeployment.push(await timed(deploy, deploymentEnv, 'second deployment-job'));
    say(`deployment-job: run ${run}/${EMULATOR_RUNS}, first ${firstDeployment.at(-1)!.wallSeconds.toFixed(1)} s, second ${secondDeployment.at(-1)!.wallSeconds.toFixed(1)} s wall`);
    await timed([...CLI, 'deployment-job-rm', '--project', 'server', '--yes'], deploymentEnv, 'deployment-job-rm');
  }
  return [
    { section: 'A second run, nothing changed', case: 'training-job --no-wait (checks, plan, submit)', ours: { label: 'second', samples: secondTraining }, reference: { label: 'first (creates the stack)', samples: firstTraining } },
    { section: 'A second run, nothing changed', case: 'deployment-job (checks, plan, smoke test)', ours: { label: 'second', samples: secondDeployment }, reference: { label: 'first (creates the endpoint)', samples: firstDeployment } },
  ];
}

/** Plan time of one project's training stack with 1 and then 20 other projects' training stacks applied. */
async function planScaling(emulator: Emulator): Promise<Comparison[]> {
  const projects = generatedProjects(0);
  for (const name of ['target', ...Array.from({ length: 20 }, (_, index) => projectName(index + 1))]) addProject(projects, name, FARGATE_REQUIREMENTS);
  const env = emulator.env(projects, { training: { job_poll_seconds: 1 } });
  const apply = (project: string) => timed([...CLI, 'training-job', '--project', project, '--image-build', 'skip', '--no-wait'], env, `training-job ${project}`);
  // The stack folder the CLI initialised: a plan there is exactly the one the CLI makes, without the CLI around it.
  const plan = () => timed([emulator.tools.MLOPS_TERRAFORM_BIN, `-chdir=${join(env.MLOPS_OUTDIR, 'stacks', 'training-target')}`, 'plan', '-input=false', '-no-color', '-lock=false'], env, 'plan');
  await apply('target');
  await apply(projectName(1));
  const withOne = await samples(EMULATOR_RUNS, 'plan with 1 other project applied', plan);
  // Four applies at a time: separate stacks with separate states, as four people of a team would run them.
  const others = Array.from({ length: 19 }, (_, index) => projectName(index + 2));
  let applied = 1;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let next = others.shift(); next; next = others.shift()) {
        await apply(next);
        applied += 1;
        say(`applied ${applied} of 20 other projects`);
      }
    }),
  );
  const withTwenty = await samples(EMULATOR_RUNS, 'plan with 20 other projects applied', plan);
  return [{ section: 'Plan of one training stack', case: 'other projects applied: 20 against 1', ours: { label: '20 others', samples: withTwenty }, reference: { label: '1 other', samples: withOne } }];
}

async function machine() {
  const tools = toolchainEnv();
  const version = await execa(tools.MLOPS_TERRAFORM_BIN ?? 'tofu', ['version'], { reject: false });
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    cpus: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    terraform: String(version.stdout).split('\n')[0] || 'no terraform',
    loadAverage: loadavg().map((load) => load.toFixed(2)).join(' '),
    loadDuring,
  };
}

async function main() {
  const about = await machine();
  const comparisons: Comparison[] = [];
  if (SECTIONS.includes('synth')) comparisons.push(...(await synthesis()));
  if (SECTIONS.includes('startup')) comparisons.push(...(await startup()));
  if (SECTIONS.includes('second-run') || SECTIONS.includes('plan-scaling')) {
    const emulator = await startEmulator();
    try {
      if (SECTIONS.includes('second-run')) comparisons.push(...(await secondRun(emulator)));
      if (SECTIONS.includes('plan-scaling')) comparisons.push(...(await planScaling(emulator)));
    } finally {
      await Promise.all([emulator.moto.stop(), emulator.mlflow.stop()]);
    }
  }
  mkdirSync(join(repoRoot, 'bench'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results.md'), resultsDocument(comparisons, about));
  console.log(resultsTable(comparisons));
  say('written to bench/results.md');
}

main()
  .catch((error: Error) => {
    console.error(`bench failed: ${error.message}`);
    process.exitCode = 1;
  })
  .finally(() => {
    clearInterval(loadSampler);
    rmSync(work, { recursive: true, force: true });
  });
