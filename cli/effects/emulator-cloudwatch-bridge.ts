import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cbor, dateToTag } from '@smithy/core/cbor';

/**
 * The AWS provider's Go SDK talks to CloudWatch in Smithy RPC v2 CBOR, which moto 5.2 does not
 * answer (it speaks the JSON and query protocols of CloudWatch). This bridge (an EMULATOR_GAPS entry
 * of the Terraform runner, started only with an emulator) is given to terraform as
 * AWS_ENDPOINT_URL_CLOUDWATCH: it turns each CBOR call into the same call in JSON 1.0 for the
 * emulator and the answer back into CBOR; every other request passes through unchanged. A
 * translation of the wire format only: the emulator keeps the alarms and dashboards. It listens on
 * 127.0.0.1 only, and does not keep the CLI's process alive.
 */
export async function startCloudWatchBridge(target: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const upstream = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const handle = incoming.headers['smithy-protocol'] === 'rpc-v2-cbor' ? bridgeCbor : passThrough;
      handle(incoming, body, outgoing, upstream).catch((error: Error) => {
        outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(`bridge failed: ${error.message}`);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(upstream: URL, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const call = httpRequest({ host: upstream.hostname, port: upstream.port, method, path, headers: { ...headers, host: upstream.host, 'content-length': String(body.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 502,
          headers: Object.fromEntries(Object.entries(response.headers).map(([key, value]) => [key, String(value)])),
          body: Buffer.concat(chunks),
        }),
      );
    });
    call.on('error', reject);
    call.end(body);
  });
}

async function passThrough(incoming: IncomingMessage, body: Buffer, outgoing: ServerResponse, upstream: URL): Promise<void> {
  const headers = Object.fromEntries(Object.entries(incoming.headers).map(([key, value]) => [key, String(value)]));
  const answer = await send(upstream, incoming.method ?? 'POST', incoming.url ?? '/', headers, body);
  delete answer.headers['transfer-encoding'];
  outgoing.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
  outgoing.end(answer.body);
}

/** CBOR values → JSON values: epoch-second tags become numbers, byte strings base64. */
function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record.tag === 1 && typeof record.value === 'number') return record.value;
    return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, toJson(item)]));
  }
  return value;
}

/** JSON values → CBOR values: timestamp members (…Timestamp, …Timestamps) become epoch-second tags. */
function toCbor(value: unknown, key = ''): unknown {
  const isTimestamp = /Timestamps?$/.test(key);
  if (Array.isArray(value)) return value.map((item) => toCbor(item, isTimestamp ? key : ''));
  if (isTimestamp && (typeof value === 'number' || typeof value === 'string')) {
    return dateToTag(typeof value === 'number' ? new Date(value * 1000) : new Date(value));
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, toCbor(item, name)]));
  return value;
}

async function bridgeCbor(incoming: IncomingMessage, body: Buffer, outgoing: ServerResponse, upstream: URL): Promise<void> {
  const match = /\/service\/([^/]+)\/operation\/([^/?]+)/.exec(incoming.url ?? '');
  if (!match) throw new Error(`not an RPC v2 path: ${incoming.url}`);
  const [, service, operation] = match;
  const input = body.length > 0 ? toJson(cbor.deserialize(new Uint8Array(body))) : {};
  const answer = await send(
    upstream,
    'POST',
    '/',
    {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `${service}.${operation}`,
      authorization: String(incoming.headers.authorization ?? ''),
      'x-amz-date': String(incoming.headers['x-amz-date'] ?? ''),
    },
    Buffer.from(JSON.stringify(input)),
  );
  const text = answer.body.toString('utf8').trim();
  const output = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (answer.status >= 300 && typeof output.__type === 'string') output.__type = output.__type.split('#').pop();
  const encoded = Buffer.from(cbor.serialize(toCbor(output)));
  outgoing.writeHead(answer.status, { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor', 'content-length': String(encoded.length) });
  outgoing.end(encoded);
}
