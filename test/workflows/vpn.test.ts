import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../cli/paths.js';

/**
 * The VPN actions' scripts run on a GitHub runner with root through sudo, a real OpenVPN and a tun
 * device. Here `sudo`, `openvpn` and `ip` are stand-ins on PATH: the OpenVPN stand-in daemonises
 * like the real one (writes its pid file and log, then keeps running) and behaves as FAKE_OPENVPN
 * says — `up` (reports the tunnel after a moment), `exits` (gives up, as with a stale client file)
 * or `hangs` (never completes). What is proven is the scripts' own logic: wait, report, clean up.
 */
const connectScript = join(repoRoot, '.github', 'actions', 'vpn-connect', 'connect.sh');
const disconnectScript = join(repoRoot, '.github', 'actions', 'vpn-disconnect', 'disconnect.sh');

const STAND_INS: Record<string, string> = {
  sudo: '#!/usr/bin/env bash\nexec "$@"\n',
  openvpn: `#!/usr/bin/env bash
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --writepid) pidfile=$2; shift 2 ;;
    --daemon) shift 2 ;;
    *) shift ;;
  esac
done
echo "config $config" > "$log"
case "$FAKE_OPENVPN" in
  up) (sleep 1; echo 'TUN/TAP device tun7 opened' >> "$log"; echo 'Initialization Sequence Completed' >> "$log"; exec sleep 300) > /dev/null 2>&1 < /dev/null & ;;
  exits) (echo 'AUTH_FAILED' >> "$log"; exit 1) > /dev/null 2>&1 < /dev/null & ;;
  hangs) (exec sleep 300) > /dev/null 2>&1 < /dev/null & ;;
esac
echo $! > "$pidfile"
`,
  ip: '#!/usr/bin/env bash\n[ "$4" = tun7 ]\n',
};

describe('VPN connect and disconnect (.github/actions/vpn-connect, vpn-disconnect)', () => {
  let root: string;
  let bin: string;
  let runnerTemp: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'vpn-actions-'));
    bin = join(root, 'bin');
    runnerTemp = join(root, 'runner-temp');
    mkdirSync(bin);
    mkdirSync(runnerTemp);
    for (const [name, text] of Object.entries(STAND_INS)) {
      writeFileSync(join(bin, name), text);
      chmodSync(join(bin, name), 0o755);
    }
  });

  afterEach(() => {
    // Whatever a test left running, the disconnect script (or this) stops it.
    const pidFile = join(runnerTemp, 'mlops-vpn', 'openvpn.pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')));
      } catch {
        // already gone
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  const run = (scriptPath: string, env: Record<string, string>) =>
    spawnSync('bash', [scriptPath], {
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, RUNNER_TEMP: runnerTemp, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });

  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  test('connects: writes the client file readable by its owner only, waits for the tunnel and names the interface; disconnect stops it and removes the file', () => {
    const connect = run(connectScript, { VPN_CLIENT_CONFIG: 'client\nremote cvpn.example 443\n<key>secret</key>', FAKE_OPENVPN: 'up' });
    expect(connect.stderr).toBe('');
    expect(connect.status).toBe(0);
    expect(connect.stdout).toMatch(/VPN connected in \d+s on tun7/);
    const stateDir = join(runnerTemp, 'mlops-vpn');
    const clientFile = join(stateDir, 'client.ovpn');
    expect(readFileSync(clientFile, 'utf8')).toBe('client\nremote cvpn.example 443\n<key>secret</key>\n');
    expect(statSync(clientFile).mode & 0o777).toBe(0o600);
    const pid = Number(readFileSync(join(stateDir, 'openvpn.pid'), 'utf8'));
    expect(alive(pid)).toBe(true);

    const disconnect = run(disconnectScript, {});
    expect(disconnect.status).toBe(0);
    expect(disconnect.stdout).toContain('VPN disconnected');
    expect(existsSync(stateDir)).toBe(false);
    expect(alive(pid)).toBe(false);
  });

  test('fails with the OpenVPN log when OpenVPN gives up before the tunnel is up', () => {
    const result = run(connectScript, { VPN_CLIENT_CONFIG: 'client', FAKE_OPENVPN: 'exits' });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/::error title=VPN not connected::OpenVPN exited after \d+s before the tunnel was up/);
    expect(result.stdout).toContain('AUTH_FAILED');
  });

  test('fails after the timeout when the tunnel never comes up, leaving the daemon for disconnect to stop', () => {
    const result = run(connectScript, { VPN_CLIENT_CONFIG: 'client', FAKE_OPENVPN: 'hangs', VPN_TIMEOUT_SECONDS: '3' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('::error title=VPN not connected::the tunnel was not up after 3s');
    const pid = Number(readFileSync(join(runnerTemp, 'mlops-vpn', 'openvpn.pid'), 'utf8'));
    expect(run(disconnectScript, {}).status).toBe(0);
    expect(alive(pid)).toBe(false);
  });

  test('refuses an empty client file secret and says how to provide it or turn the VPN off', () => {
    const result = run(connectScript, { VPN_CLIENT_CONFIG: '', FAKE_OPENVPN: 'up' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('the secret VPN_CLIENT_CONFIG is empty');
    expect(result.stdout).toContain('MLOPS_VPN=off');
    expect(existsSync(join(runnerTemp, 'mlops-vpn'))).toBe(false);
  });

  test('disconnect succeeds when no tunnel was started (it runs under if: always())', () => {
    const result = run(disconnectScript, {});
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('No VPN connection to close');
  });
});
