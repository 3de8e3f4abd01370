import { describe, expect, it } from '@jest/globals';
import { parseSettings } from '../../core/settings/parse.js';
import type { StackRef } from '../../core/state-lock.js';
import { unlock, type UnlockArgs, type UnlockEffects } from '../../cli/workflows/unlock.js';
import { createMemoryObjectStore } from '../harness/object-store.js';
import { createRecordingReporter } from '../harness/reporter.js';

const LOCK_KEY = 'acme/dev/deployment/wine.tfstate.tflock';
const CREATED = '2026-12-01T09:00:00Z';
const config = {
  environment: { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme', envName: 'dev' },
  settings: parseSettings('{"terraform": {"unlock_min_age_minutes": 30}}', 'test-settings.json'),
};

function fakes(options: { minutesOld?: number; host?: string; pids?: number[] | undefined; answer?: boolean; locked?: boolean } = {}) {
  const store = createMemoryObjectStore();
  if (options.locked ?? true) {
    store.objects.set(LOCK_KEY, JSON.stringify({ ID: 'lock-1', Operation: 'OperationTypeApply', Who: 'ana@laptop', Version: '1.10.10', Created: CREATED, Path: LOCK_KEY }));
  }
  const calls: string[] = [];
  const synthesized: StackRef[] = [];
  const questions: string[] = [];
  const effects: UnlockEffects = {
    reporter: createRecordingReporter(),
    stateObjects: store,
    terraform: {
      init: async (dir) => void calls.push(`init ${dir}`),
      forceUnlock: async (dir, id) => {
        calls.push(`force-unlock ${id} in ${dir}`);
        store.objects.delete(LOCK_KEY);
      },
    },
    synthesize: (ref) => {
      synthesized.push(ref);
      return '/out/stacks/deployment-wine';
    },
    processesIn: async () => ('pids' in options ? options.pids : []),
    hostname: options.host ?? 'ops-box',
    now: () => new Date(Date.parse(CREATED) + (options.minutesOld ?? 120) * 60_000),
    confirm: async (question) => {
      questions.push(question);
      return options.answer ?? true;
    },
  };
  return { effects, store, calls, synthesized, questions, lines: (effects.reporter as ReturnType<typeof createRecordingReporter>).lines };
}

const args = (extra: Partial<UnlockArgs> = {}): UnlockArgs => ({ stack: 'deployment-wine', yes: false, force: false, json: false, ...extra });

describe('mlops unlock', () => {
  it('shows the holder, asks, and breaks exactly that lock with force-unlock in the synthesized stack folder', async () => {
    const { effects, calls, synthesized, questions, lines, store } = fakes();
    await expect(unlock(effects, config, args())).resolves.toMatchObject({ stack: 'deployment-wine', unlocked: true, lock: { id: 'lock-1', who: 'ana@laptop' } });
    expect(lines[0]).toBe(
      'Stack deployment-wine (s3://acme-tf-state/acme/dev/deployment/wine.tfstate) is locked by ana@laptop since 2026-12-01 09:00:00 UTC (2h00m ago), for apply (lock ID lock-1); taken by terraform/tofu 1.10.10.',
    );
    expect(synthesized).toEqual([{ kind: 'deployment', mlProject: 'wine' }]);
    expect(questions).toEqual(['Break the lock of stack deployment-wine held by ana@laptop? Only if that run is dead']);
    expect(calls).toEqual(['init /out/stacks/deployment-wine', 'force-unlock lock-1 in /out/stacks/deployment-wine']);
    expect(store.objects.size).toBe(0);
  });

  it('does nothing for a stack that is not locked', async () => {
    const { effects, calls, lines } = fakes({ locked: false });
    await expect(unlock(effects, config, args())).resolves.toEqual({ stack: 'deployment-wine', lock: null, unlocked: false });
    expect(lines).toEqual(['Stack deployment-wine is not locked (no s3://acme-tf-state/acme/dev/deployment/wine.tfstate.tflock): nothing to do.']);
    expect(calls).toEqual([]);
  });

  it('refuses a lock younger than unlock_min_age_minutes without --force, and breaks it with --force --yes without asking', async () => {
    const young = fakes({ minutesOld: 5 });
    await expect(unlock(young.effects, config, args())).rejects.toThrow(/Not breaking the lock of stack deployment-wine: its holder may still be alive \(nothing was changed\):\n {2}- it is 5m00s old, younger than terraform.unlock_min_age_minutes \(30\)/);
    expect(young.calls).toEqual([]);
    const forced = fakes({ minutesOld: 5 });
    await expect(unlock(forced.effects, config, args({ force: true, yes: true }))).resolves.toMatchObject({ unlocked: true });
    expect(forced.questions).toEqual([]);
  });

  it('refuses, even with --force, while terraform still runs in the stack folder of the machine that took the lock', async () => {
    const { effects, calls } = fakes({ host: 'laptop', pids: [4242] });
    await expect(unlock(effects, config, args({ force: true, yes: true }))).rejects.toThrow(/pid 4242/);
    expect(calls).toEqual([]);
  });

  it('keeps the lock when the operator says no, and says where the process check could not be made', async () => {
    const { effects, calls, lines } = fakes({ answer: false, pids: undefined });
    await expect(unlock(effects, config, args())).rejects.toThrow('unlock cancelled; the lock stays');
    expect(calls).toEqual([]);
    expect(lines).toContain("warning: this system has no /proc: whether terraform/tofu still runs here was not checked; the lock's age is");
  });

  it('refuses a --stack that names no stack, before reading anything', async () => {
    const { effects } = fakes();
    await expect(unlock(effects, config, args({ stack: 'wine' }))).rejects.toThrow(/is not a stack id/);
  });
});
