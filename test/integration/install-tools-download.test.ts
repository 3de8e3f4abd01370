import { createHash } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../../cli/paths.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

const TOFU_VERSION = '1.10.10';
const PROVIDER_VERSION = '6.47.1';
const PLATFORM = 'linux_amd64';
const PROVIDER_ZIP = `terraform-provider-aws_${PROVIDER_VERSION}_${PLATFORM}.zip`;
const PROVIDER_BINARY = `terraform-provider-aws_v${PROVIDER_VERSION}_x5`;
/** Nothing listens on port 1: a connection there is refused at once, as by a host that does not answer. */
const UNREACHABLE = 'http://127.0.0.1:1';

const sha256File = async (path: string) => {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Terraform's h1: hash of a package holding one file (dirhash Hash1), computed here independently of fetch-tools.py. */
const h1OfOneFile = (fileSha256: string, name: string) =>
  `h1:${createHash('sha256').update(`${fileSha256}  ${name}\n`).digest('base64')}`;

/** A zip of one file, stored (not compressed: the provider is ~900 MB and the test has a time budget), mode kept. */
const zipOne = (file: string, name: string, zip: string) =>
  execa('python3', ['-c', 'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[3], "w", zipfile.ZIP_STORED) as z: z.write(sys.argv[1], sys.argv[2])', file, name, zip]);

/** A static file server over a folder, on a free loopback port. */
async function serve(root: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const path = join(root, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    if (!path.startsWith(root) || !existsSync(path) || !statSync(path).isFile()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'Content-Length': statSync(path).size });
    createReadStream(path).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const write = (path: string, content: string | Buffer) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
};

/**
 * install-tools.sh takes OpenTofu and the hashicorp/aws provider from official, verified downloads
 * when their hosts answer. A local HTTP server stands in for the hosts: an OpenTofu release laid out
 * as on GitHub (zip, SHA256SUMS, .gpgsig), the registry's download API (service discovery, the
 * download JSON with its signing key, SHA256SUMS and signature) and a provider network mirror
 * (index.json, <version>.json, zip), all made from the toolchain's own tofu and provider. A throwaway
 * GPG key stands in for OpenTofu's and HashiCorp's (the pinned fingerprints are overridden, as a mirror
 * that re-signs would). Each run installs into a temporary cache, never ~/.cache/lean-mlops.
 */
describe('install-tools.sh downloads verified OpenTofu and provider', () => {
  const work = mkdtempSync(join(tmpdir(), 'mlops-tools-download-'));
  const site = join(work, 'site');
  const gnupg = join(work, 'gnupg');
  const keyFile = join(work, 'signing-key.asc');
  let server: Server;
  let base: string;
  let fingerprint: string;
  let providerH1: string;
  let registrySha: string;
  let caches = 0;

  const gpg = (args: string[]) => execa('gpg', ['--homedir', gnupg, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args]);
  const sign = (file: string, signature: string) => gpg(['--yes', '--detach-sign', '--output', signature, file]);

  /** Runs install-tools.sh with a fresh temporary cache (or the one given) and the download hosts given. */
  const installTools = async (args: string[], env: Record<string, string>, cache = join(work, `cache-${++caches}`)) => {
    const result = await execa('bash', [join(repoRoot, 'scripts', 'install-tools.sh'), ...args], {
      env: {
        MLOPS_TOOLS_CACHE: cache,
        MLOPS_TOOLS_BUILD: 'never',
        MLOPS_TOFU_SIGNING_KEY: keyFile,
        MLOPS_TOFU_SIGNING_FINGERPRINT: fingerprint,
        MLOPS_PROVIDER_SIGNING_FINGERPRINT: fingerprint,
        MLOPS_PROVIDER_MIRROR_URL: undefined,
        TF_PLUGIN_CACHE_DIR: undefined,
        ...env,
      },
      reject: false,
      timeout: 5 * 60_000,
    });
    return { ...result, cache, all: `${result.stdout}\n${result.stderr}` };
  };
  const hosts = (release = `${base}/tofu`, registry = `${base}/registry/`) => ({ MLOPS_TOFU_RELEASES_URL: release, MLOPS_PROVIDER_REGISTRY_URL: registry });
  /** The files a cache holds, so a refused download can be shown to leave nothing (not even a temporary folder). */
  const filesUnder = (dir: string): string[] =>
    existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name)) : [];

  beforeAll(async () => {
    const tools = toolchainEnv();
    const tofu = requireTool(tools, 'MLOPS_TERRAFORM_BIN');
    const providerBinary = join(dirname(requireTool(tools, 'TF_CLI_CONFIG_FILE')), 'provider-mirror', 'registry.opentofu.org', 'hashicorp', 'aws', PROVIDER_VERSION, PLATFORM, PROVIDER_BINARY);

    mkdirSync(gnupg, { mode: 0o700 });
    await gpg(['--quick-generate-key', 'lean-mlops test signer <signer@example.invalid>', 'ed25519', 'sign', 'never']);
    fingerprint = (await gpg(['--with-colons', '--list-keys'])).stdout.match(/^fpr:+([0-9A-F]{40}):/m)![1];
    writeFileSync(keyFile, (await gpg(['--armor', '--export', fingerprint])).stdout);

    // (a) An OpenTofu release: https://github.com/opentofu/opentofu/releases/download/v<version>/…
    const release = join(site, 'tofu', `v${TOFU_VERSION}`);
    const tofuZip = join(release, `tofu_${TOFU_VERSION}_${PLATFORM}.zip`);
    const tofuSums = join(release, `tofu_${TOFU_VERSION}_SHA256SUMS`);
    mkdirSync(release, { recursive: true });
    await zipOne(tofu, 'tofu', tofuZip);
    write(tofuSums, `${sha256('another platform')}  tofu_${TOFU_VERSION}_darwin_arm64.zip\n${await sha256File(tofuZip)}  tofu_${TOFU_VERSION}_${PLATFORM}.zip\n`);
    await sign(tofuSums, `${tofuSums}.gpgsig`);

    // (b) A provider network mirror as `tofu providers mirror` writes one (h1: hashes only), the zip
    // beside <version>.json; and a tampered one whose zip is not the one its hashes describe.
    const mirror = join(site, 'mirror', 'registry.terraform.io', 'hashicorp', 'aws');
    const providerZip = join(mirror, PROVIDER_ZIP);
    mkdirSync(mirror, { recursive: true });
    await zipOne(providerBinary, PROVIDER_BINARY, providerZip);
    const [zipSha, binarySha] = await Promise.all([sha256File(providerZip), sha256File(providerBinary)]);
    providerH1 = h1OfOneFile(binarySha, PROVIDER_BINARY);
    write(join(mirror, 'index.json'), JSON.stringify({ versions: { [PROVIDER_VERSION]: {} } }));
    write(join(mirror, `${PROVIDER_VERSION}.json`), JSON.stringify({ archives: { [PLATFORM]: { url: PROVIDER_ZIP, hashes: [providerH1] } } }));
    const tampered = join(site, 'tampered-mirror', 'registry.opentofu.org', 'hashicorp', 'aws');
    write(join(tampered, 'index.json'), JSON.stringify({ versions: { [PROVIDER_VERSION]: {} } }));
    write(join(tampered, `${PROVIDER_VERSION}.json`), JSON.stringify({ archives: { [PLATFORM]: { url: PROVIDER_ZIP, hashes: [providerH1, `zh:${zipSha}`] } } }));
    await zipOne(keyFile, PROVIDER_BINARY, join(tampered, PROVIDER_ZIP));

    // (c) The provider as the registry serves it: discovery, download JSON, SHA256SUMS signed, zip.
    // The zip holds a small stand-in (a second copy of the ~900 MB provider would cost the suite
    // half a minute of disk writes; the mirror above already proves the real one installs).
    const releases = join(site, 'releases', 'terraform-provider-aws', PROVIDER_VERSION);
    const standIn = join(work, PROVIDER_BINARY);
    writeFileSync(standIn, '#!/bin/sh\necho stand-in provider\n', { mode: 0o755 });
    mkdirSync(releases, { recursive: true });
    await zipOne(standIn, PROVIDER_BINARY, join(releases, PROVIDER_ZIP));
    registrySha = await sha256File(join(releases, PROVIDER_ZIP));
    const providerSums = join(releases, `terraform-provider-aws_${PROVIDER_VERSION}_SHA256SUMS`);
    write(providerSums, `${registrySha}  ${PROVIDER_ZIP}\n`);
    await sign(providerSums, `${providerSums}.sig`);
    write(join(site, 'registry', '.well-known', 'terraform.json'), JSON.stringify({ 'providers.v1': '/registry/v1/providers/' }));
    write(
      join(site, 'registry', 'v1', 'providers', 'hashicorp', 'aws', PROVIDER_VERSION, 'download', 'linux', 'amd64'),
      JSON.stringify({
        protocols: ['5.0'], os: 'linux', arch: 'amd64', filename: PROVIDER_ZIP, shasum: registrySha,
        download_url: `/releases/terraform-provider-aws/${PROVIDER_VERSION}/${PROVIDER_ZIP}`,
        shasums_url: `/releases/terraform-provider-aws/${PROVIDER_VERSION}/terraform-provider-aws_${PROVIDER_VERSION}_SHA256SUMS`,
        shasums_signature_url: `/releases/terraform-provider-aws/${PROVIDER_VERSION}/terraform-provider-aws_${PROVIDER_VERSION}_SHA256SUMS.sig`,
        signing_keys: { gpg_public_keys: [{ key_id: fingerprint.slice(-16), ascii_armor: readFileSync(keyFile, 'utf8') }] },
      }),
    );


    // (d) Tampered OpenTofu releases: a zip that is not the signed one, and a SHA256SUMS changed after signing.
    const otherZip = join(site, 'tofu-other-zip', `v${TOFU_VERSION}`);
    mkdirSync(otherZip, { recursive: true });
    await zipOne(keyFile, 'tofu', join(otherZip, `tofu_${TOFU_VERSION}_${PLATFORM}.zip`));
    for (const file of [`tofu_${TOFU_VERSION}_SHA256SUMS`, `tofu_${TOFU_VERSION}_SHA256SUMS.gpgsig`]) linkSync(join(release, file), join(otherZip, file));
    const resigned = join(site, 'tofu-sums-changed', `v${TOFU_VERSION}`);
    mkdirSync(resigned, { recursive: true });
    linkSync(tofuZip, join(resigned, `tofu_${TOFU_VERSION}_${PLATFORM}.zip`));
    linkSync(`${tofuSums}.gpgsig`, join(resigned, `tofu_${TOFU_VERSION}_SHA256SUMS.gpgsig`));
    write(join(resigned, `tofu_${TOFU_VERSION}_SHA256SUMS`), `${sha256('tampered')}  tofu_${TOFU_VERSION}_${PLATFORM}.zip\n`);

    ({ server, url: base } = await serve(site));
  }, 5 * 60_000);

  afterAll(() => {
    server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('installs OpenTofu from its release and the provider from a network mirror (h1: hash), and tofu init uses them offline', async () => {
    const tofu = await installTools(['tofu'], hosts());
    expect(tofu.all).toContain(`verified tofu_${TOFU_VERSION}_${PLATFORM}.zip`);
    expect(tofu.exitCode).toBe(0);
    const provider = await installTools(['provider'], { ...hosts(UNREACHABLE, UNREACHABLE), MLOPS_PROVIDER_MIRROR_URL: `${base}/mirror/` }, tofu.cache);
    expect(provider.all).toContain(`verified hashicorp/aws ${PROVIDER_VERSION} (${PLATFORM}): ${providerH1}`);
    expect(provider.exitCode).toBe(0);
    expect(provider.all).not.toMatch(/Go module/);
    expect(filesUnder(tofu.cache).filter((f) => f.includes('.download-'))).toEqual([]);

    const env = Object.fromEntries([...(await installTools(['env'], {}, tofu.cache)).stdout.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
    expect(env.MLOPS_TERRAFORM_BIN).toBe(join(tofu.cache, `tofu-${TOFU_VERSION}`, 'tofu'));
    expect((await execa(env.MLOPS_TERRAFORM_BIN, ['version'])).stdout).toContain(`OpenTofu v${TOFU_VERSION}`);

    const config = join(work, 'config');
    write(join(config, 'main.tf'), `terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "${PROVIDER_VERSION}" }\n  }\n}\n`);
    const init = await execa(env.MLOPS_TERRAFORM_BIN, ['init', '-no-color', '-input=false'], { cwd: config, env: { TF_CLI_CONFIG_FILE: env.TF_CLI_CONFIG_FILE, CHECKPOINT_DISABLE: '1' }, reject: false });
    expect(init.stdout).toContain(`Installed hashicorp/aws v${PROVIDER_VERSION}`);
    expect(init.exitCode).toBe(0);
    // The lock file's hash is tofu's own of the installed provider: the very binary that was served.
    expect(readFileSync(join(config, '.terraform.lock.hcl'), 'utf8')).toContain(providerH1);
  });

  it('installs the provider through the registry download API, its SHA256SUMS signed by the pinned key', async () => {
    const result = await installTools(['provider'], hosts());
    expect(result.all).toContain(`verified hashicorp/aws ${PROVIDER_VERSION} (${PLATFORM}): zh:${registrySha}, SHA256SUMS signed by ${fingerprint}`);
    expect(result.exitCode).toBe(0);
    const installed = join(result.cache, 'provider-mirror', 'registry.opentofu.org', 'hashicorp', 'aws', PROVIDER_VERSION, PLATFORM, PROVIDER_BINARY);
    expect((await execa(installed)).stdout).toBe('stand-in provider');
    expect(readFileSync(join(result.cache, `tofurc-${PROVIDER_VERSION}`), 'utf8')).toContain(join(result.cache, 'provider-mirror'));
  });

  it.each([
    ['a zip that is not the one the signed SHA256SUMS lists', 'tofu-other-zip', /tofu_1\.10\.10_linux_amd64\.zip has sha256 \w+, but the signed tofu_1\.10\.10_SHA256SUMS says/],
    ['a SHA256SUMS changed after it was signed', 'tofu-sums-changed', /the signature of tofu_1\.10\.10_SHA256SUMS is not by the pinned key/],
  ])('refuses an OpenTofu release with %s, and leaves nothing in the cache', async (_, folder, message) => {
    const result = await installTools(['tofu'], hosts(`${base}/${folder}`));
    expect(result.all).toMatch(message);
    expect(result.all).toContain('REFUSED the tofu download, nothing installed');
    expect(result.exitCode).toBe(1);
    expect(filesUnder(result.cache)).toEqual([]);
  });

  it('refuses a mirror whose zip does not match its hashes, and leaves nothing in the cache', async () => {
    const result = await installTools(['provider'], { ...hosts(), MLOPS_PROVIDER_MIRROR_URL: `${base}/tampered-mirror` });
    expect(result.all).toMatch(/REFUSED the provider download, nothing installed: the zip from \S+ has zh:\w+ and h1:\S+; the mirror lists/);
    expect(result.exitCode).toBe(1);
    expect(filesUnder(join(result.cache, 'provider-mirror'))).toEqual([]);
  });

  it('refuses a provider whose SHA256SUMS is signed by another key than the pinned one', async () => {
    const result = await installTools(['provider'], { ...hosts(), MLOPS_PROVIDER_SIGNING_FINGERPRINT: 'C874011F0AB405110D02105534365D9472D7468F' });
    expect(result.all).toContain(`is not by the pinned key C874011F0AB405110D02105534365D9472D7468F (${fingerprint})`);
    expect(result.exitCode).toBe(1);
    expect(filesUnder(join(result.cache, 'provider-mirror'))).toEqual([]);
  });

  describe('when the hosts do not answer', () => {
    // Stand-ins for a tofu/terraform on PATH; they shadow whatever the machine has.
    const fakeBin = join(work, 'fake-bin');
    const fake = (name: string, banner: string) => {
      write(join(fakeBin, name), `#!/bin/sh\necho '${banner}'\n`);
      chmodSync(join(fakeBin, name), 0o755);
    };
    const offline = (extra: Record<string, string> = {}) => ({ ...hosts(UNREACHABLE, UNREACHABLE), PATH: `${fakeBin}:${process.env.PATH}`, ...extra });
    beforeAll(() => {
      fake('tofu', 'OpenTofu v1.9.1');
      fake('terraform', 'Terraform v1.6.6');
    });

    it('falls back to building from the Go module (stopped here by MLOPS_TOOLS_BUILD=never) when no tofu >= 1.10 is on PATH', async () => {
      const result = await installTools(['tofu'], offline());
      expect(result.all).toContain('did not answer');
      expect(result.all).toContain(`OpenTofu ${TOFU_VERSION}: nothing to download or reuse, and MLOPS_TOOLS_BUILD=never forbids building it from its Go module`);
      expect(result.exitCode).toBe(1);
      expect(filesUnder(result.cache)).toEqual([]);
    });

    it('still builds OpenTofu when a terraform >= 1.10 is on PATH but the provider would need a build', async () => {
      fake('terraform', 'Terraform v1.11.4');
      const result = await installTools(['tofu'], offline());
      expect(result.all).toContain(`${join(fakeBin, 'terraform')} is on PATH, but the provider is not installed without a build, so OpenTofu is built too`);
      expect(result.all).toContain('MLOPS_TOOLS_BUILD=never forbids building it from its Go module');
      expect(result.exitCode).toBe(1);
    });

    it('takes the provider from a TF_PLUGIN_CACHE_DIR that holds it, and a terraform >= 1.10 on PATH: nothing to build', async () => {
      fake('terraform', 'Terraform v1.11.4');
      const pluginCache = join(work, 'plugin-cache');
      const cached = join(pluginCache, 'registry.terraform.io', 'hashicorp', 'aws', PROVIDER_VERSION, PLATFORM, PROVIDER_BINARY);
      write(cached, '#!/bin/sh\n');
      chmodSync(cached, 0o755);
      const provider = await installTools(['provider'], offline({ TF_PLUGIN_CACHE_DIR: pluginCache }));
      expect(provider.all).toContain('not downloadable, copying it from the provider cache');
      expect(provider.exitCode).toBe(0);
      expect(existsSync(join(provider.cache, 'provider-mirror', 'registry.opentofu.org', 'hashicorp', 'aws', PROVIDER_VERSION, PLATFORM, PROVIDER_BINARY))).toBe(true);

      const tofu = await installTools(['tofu'], offline(), provider.cache);
      expect(tofu.all).toContain(`using ${join(fakeBin, 'terraform')} (Terraform v1.11.4) from PATH`);
      expect(tofu.exitCode).toBe(0);
      const env = await installTools(['env'], offline(), provider.cache);
      expect(env.stdout).toContain(`export MLOPS_TERRAFORM_BIN='${join(fakeBin, 'terraform')}'`);
    });
  });
});
