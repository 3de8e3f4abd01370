#!/usr/bin/env python3
"""Downloads an official, verified OpenTofu release or hashicorp/aws provider for install-tools.sh.

  fetch-tools.py tofu     --version 1.10.10 --platform linux_amd64 --dest DIR
  fetch-tools.py provider --version 6.47.1  --platform linux_amd64 --dest DIR

DIR must not exist; it appears (by one rename) only once everything in it is verified, so a refused
or interrupted download leaves nothing behind.
Exit codes: 0 installed; 3 the source did not answer (install-tools.sh tries its next source);
4 the download was refused (a checksum or signature did not match: nothing is installed).

Where from (each base URL can be pointed at a mirror, see the README's "Offline toolchain"):
- OpenTofu: the GitHub release layout, MLOPS_TOFU_RELEASES_URL/v<version>/tofu_<version>_<platform>.zip,
  checked against tofu_<version>_SHA256SUMS, whose GPG signature (.gpgsig) must be made by the key
  pinned in scripts/keys/opentofu.asc (fingerprint OPENTOFU_FINGERPRINT below).
- the provider, from MLOPS_PROVIDER_MIRROR_URL when set: the provider network mirror protocol
  (<host>/hashicorp/aws/index.json and <version>.json), checked against the mirror's zh: (zip) or h1:
  (contents) hashes, as tofu itself checks a network mirror; otherwise from the registry's download
  API at MLOPS_PROVIDER_REGISTRY_URL (service discovery, then providers.v1), checked against the
  release's SHA256SUMS, whose signature must be made by HashiCorp's key (fingerprint pinned below;
  the key material comes with the registry's answer and counts only if its fingerprint matches).
"""
import argparse
import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

OPENTOFU_FINGERPRINT = 'E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80'
HASHICORP_FINGERPRINT = 'C874011F0AB405110D02105534365D9472D7468F'
KEYS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'keys')

# Seconds to wait for a connection, and for each read after it: short, so an unreachable host falls
# back quickly.
TIMEOUT = float(os.environ.get('MLOPS_TOOLS_CONNECT_TIMEOUT', '10'))


class Unreachable(Exception):
    """The source did not answer, or does not have what was asked for: try the next source."""


class Refused(Exception):
    """What was downloaded does not verify: install nothing."""


def log(message):
    print(f'[tools {time.strftime("%H:%M:%S")}] {message}', file=sys.stderr, flush=True)


def _open(url):
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers={'User-Agent': 'lean-mlops-install-tools'}), timeout=TIMEOUT)
    except urllib.error.HTTPError as error:
        raise Unreachable(f'{url} answered HTTP {error.code}') from None
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable(f'{url} did not answer: {getattr(error, "reason", error)}') from None


def get_bytes(url):
    with _open(url) as response:
        return response.read()


def get_json(url):
    try:
        return json.loads(get_bytes(url))
    except json.JSONDecodeError as error:
        raise Unreachable(f'{url} is not JSON: {error}') from None


def download(url, path):
    """Streams url to path; returns the file's sha256 (hex). Prints progress for large files."""
    digest = hashlib.sha256()
    started = time.monotonic()
    with _open(url) as response, open(path, 'wb') as out:
        total = int(response.headers.get('Content-Length') or 0)
        done, reported = 0, 0
        while chunk := response.read(1 << 20):
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if total and done - reported >= 64 << 20:
                reported = done
                log(f'  {os.path.basename(path)}: {done >> 20} of {total >> 20} MiB, {time.monotonic() - started:.0f}s elapsed')
    if total and done != total:
        raise Unreachable(f'{url}: the connection closed after {done} of {total} bytes')
    return digest.hexdigest()


def sha256sums_entry(text, filename, where):
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip('*') == filename:
            return parts[0].lower()
    raise Refused(f'{where} has no line for {filename}')


def verify_signature(data_path, signature_path, key_armor, fingerprint, what):
    """GPG-verifies a detached signature; the signing key's primary fingerprint must be the pinned one."""
    if shutil.which('gpg') is None:
        raise Unreachable(f'gpg is not installed, so the signature of {what} cannot be checked')
    home = tempfile.mkdtemp(prefix='gnupg-')
    try:
        # A key that does not import shows below as no valid signature.
        subprocess.run(['gpg', '--homedir', home, '--batch', '--quiet', '--import'], input=key_armor, capture_output=True)
        result = subprocess.run(['gpg', '--homedir', home, '--batch', '--status-fd', '1', '--verify', signature_path, data_path],
                                capture_output=True, text=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    # VALIDSIG <signing (sub)key fpr> <date> <timestamp> <expiry> <version> <reserved> <pk algo> <hash algo> <class> <primary key fpr>
    signers = [line.split()[-1].upper() for line in result.stdout.splitlines() if line.startswith('[GNUPG:] VALIDSIG ')]
    if result.returncode != 0 or fingerprint.upper() not in signers:
        found = ', '.join(signers) or 'no valid signature'
        raise Refused(f'the signature of {what} is not by the pinned key {fingerprint} ({found})')


def h1_of_zip(path):
    """Terraform's "h1:" package hash (dirhash Hash1) of a zip's contents, as lock files record it."""
    lines = []
    with zipfile.ZipFile(path) as archive:
        for name in sorted(info.filename for info in archive.infolist() if not info.is_dir()):
            digest = hashlib.sha256()
            with archive.open(name) as member:
                while chunk := member.read(1 << 20):
                    digest.update(chunk)
            lines.append(f'{digest.hexdigest()}  {name}\n')
    return 'h1:' + base64.b64encode(hashlib.sha256(''.join(lines).encode()).digest()).decode()


def unpack(zip_path, dest, work):
    """Unpacks into work/unpacked, then renames it to dest: dest appears complete or not at all."""
    staged = os.path.join(work, 'unpacked')
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = os.path.realpath(os.path.join(staged, info.filename))
            if not target.startswith(os.path.realpath(staged) + os.sep):
                raise Refused(f'the archive has a path outside its folder: {info.filename}')
            archive.extract(info, staged)
            if not info.is_dir():  # zipfile drops the mode bits; a provider must stay executable
                os.chmod(target, (info.external_attr >> 16 & 0o777) or 0o755)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    os.rename(staged, dest)


def fetch_tofu(version, platform, dest, work):
    base = os.environ.get('MLOPS_TOFU_RELEASES_URL', 'https://github.com/opentofu/opentofu/releases/download').rstrip('/')
    release = f'{base}/v{version}'
    zip_name = f'tofu_{version}_{platform}.zip'
    sums_name = f'tofu_{version}_SHA256SUMS'
    sums_path = os.path.join(work, sums_name)
    sig_path = sums_path + '.gpgsig'
    key_file = os.environ.get('MLOPS_TOFU_SIGNING_KEY', os.path.join(KEYS_DIR, 'opentofu.asc'))
    fingerprint = os.environ.get('MLOPS_TOFU_SIGNING_FINGERPRINT', OPENTOFU_FINGERPRINT)

    log(f'OpenTofu {version}: trying the release at {release}/')
    download(f'{release}/{sums_name}', sums_path)
    download(f'{release}/{sums_name}.gpgsig', sig_path)
    with open(key_file, 'rb') as key:
        verify_signature(sums_path, sig_path, key.read(), fingerprint, sums_name)
    with open(sums_path) as sums:
        expected = sha256sums_entry(sums.read(), zip_name, sums_name)
    zip_path = os.path.join(work, zip_name)
    actual = download(f'{release}/{zip_name}', zip_path)
    if actual != expected:
        raise Refused(f'{zip_name} has sha256 {actual}, but the signed {sums_name} says {expected}')
    log(f'verified {zip_name}: sha256 {actual}, {sums_name} signed by {fingerprint}')
    unpack(zip_path, dest, work)


def provider_from_mirror(base, version, platform, work):
    """Provider network mirror protocol: returns (zip path, how it was verified). A mirror made with
    `terraform providers mirror` files the provider under registry.terraform.io, one made with
    `tofu providers mirror` under registry.opentofu.org: either will do."""
    misses = []
    for host in ('registry.terraform.io', 'registry.opentofu.org'):
        try:
            return provider_from_mirror_host(f'{base.rstrip("/")}/{host}/hashicorp/aws/', version, platform, work)
        except Unreachable as error:
            misses.append(str(error))
    raise Unreachable('; '.join(misses))


def provider_from_mirror_host(package, version, platform, work):
    versions = get_json(urllib.parse.urljoin(package, 'index.json')).get('versions', {})
    if version not in versions:
        raise Unreachable(f'the mirror {package} has no hashicorp/aws {version} (it has {", ".join(sorted(versions)) or "none"})')
    version_url = urllib.parse.urljoin(package, f'{version}.json')
    archive = get_json(version_url).get('archives', {}).get(platform)
    if not archive or 'url' not in archive:
        raise Unreachable(f'{version_url} has no archive for {platform}')
    hashes = archive.get('hashes') or []
    if not hashes:
        raise Refused(f'{version_url} gives no hashes for {platform}, so its zip cannot be verified')
    zip_path = os.path.join(work, f'terraform-provider-aws_{version}_{platform}.zip')
    log(f'hashicorp/aws {version}: downloading from the provider mirror {package}')
    sha = download(urllib.parse.urljoin(version_url, archive['url']), zip_path)
    if f'zh:{sha}' in hashes:
        return zip_path, f'zh:{sha} from {version_url}'
    try:
        h1 = h1_of_zip(zip_path)
    except zipfile.BadZipFile:
        raise Refused(f'what {version_url} points at is not a zip, and its sha256 zh:{sha} is not listed') from None
    if h1 in hashes:
        return zip_path, f'{h1} from {version_url}'
    raise Refused(f'the zip from {version_url} has zh:{sha} and {h1}; the mirror lists {", ".join(hashes)}')


def provider_from_registry(base, version, platform, work):
    """Registry download API (service discovery, then providers.v1): returns (zip path, how it was verified)."""
    base = base.rstrip('/') + '/'
    services = get_json(urllib.parse.urljoin(base, '.well-known/terraform.json'))
    if 'providers.v1' not in services:
        raise Unreachable(f'{base} offers no providers.v1 service')
    os_name, arch = platform.split('_', 1)
    api = urllib.parse.urljoin(urllib.parse.urljoin(base, services['providers.v1']), f'hashicorp/aws/{version}/download/{os_name}/{arch}')
    package = get_json(api)
    missing = [key for key in ('filename', 'download_url', 'shasums_url', 'shasums_signature_url') if key not in package]
    if missing:
        raise Unreachable(f'{api} answered without {", ".join(missing)}')
    log(f'hashicorp/aws {version}: downloading through the registry {base}')
    sums_path = os.path.join(work, 'SHA256SUMS')
    sig_path = sums_path + '.sig'
    download(urllib.parse.urljoin(api, package['shasums_url']), sums_path)
    download(urllib.parse.urljoin(api, package['shasums_signature_url']), sig_path)
    fingerprint = os.environ.get('MLOPS_PROVIDER_SIGNING_FINGERPRINT', HASHICORP_FINGERPRINT)
    keys = package.get('signing_keys', {}).get('gpg_public_keys', [])
    verify_signature(sums_path, sig_path, '\n'.join(k.get('ascii_armor', '') for k in keys).encode(), fingerprint,
                     f'{package["filename"]}\'s SHA256SUMS')
    with open(sums_path) as sums:
        expected = sha256sums_entry(sums.read(), package['filename'], package['shasums_url'])
    if package.get('shasum', expected).lower() != expected:
        raise Refused(f'the registry says {package["filename"]} has sha256 {package["shasum"]}, the signed SHA256SUMS says {expected}')
    zip_path = os.path.join(work, package['filename'])
    actual = download(urllib.parse.urljoin(api, package['download_url']), zip_path)
    if actual != expected:
        raise Refused(f'{package["filename"]} has sha256 {actual}, but the signed SHA256SUMS says {expected}')
    return zip_path, f'zh:{actual}, SHA256SUMS signed by {fingerprint}'


def fetch_provider(version, platform, dest, work):
    mirror = os.environ.get('MLOPS_PROVIDER_MIRROR_URL')
    if mirror:
        zip_path, how = provider_from_mirror(mirror, version, platform, work)
    else:
        registry = os.environ.get('MLOPS_PROVIDER_REGISTRY_URL', 'https://registry.terraform.io')
        zip_path, how = provider_from_registry(registry, version, platform, work)
    log(f'verified hashicorp/aws {version} ({platform}): {how}')
    unpack(zip_path, dest, work)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('what', choices=['tofu', 'provider'])
    parser.add_argument('--version', required=True)
    parser.add_argument('--platform', required=True, help='e.g. linux_amd64')
    parser.add_argument('--dest', required=True, help='folder to create (must not exist)')
    args = parser.parse_args()
    if os.path.exists(args.dest):
        parser.error(f'--dest {args.dest} already exists')
    # The work folder sits in dest's nearest existing parent, so the final rename stays on one file
    # system and a refused download leaves not even an empty folder.
    parent = os.path.dirname(os.path.abspath(args.dest))
    while not os.path.isdir(parent):
        parent = os.path.dirname(parent)
    work = tempfile.mkdtemp(prefix='.download-', dir=parent)
    # A run stopped by SIGTERM (a CI timeout, kill) removes its work folder too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        (fetch_tofu if args.what == 'tofu' else fetch_provider)(args.version, args.platform, args.dest, work)
        return 0
    except Unreachable as error:
        log(f'{args.what}: no download ({error})')
        return 3
    except Refused as error:
        log(f'REFUSED the {args.what} download, nothing installed: {error}')
        return 4
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
