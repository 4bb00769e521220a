import http from 'node:http';
import net from 'node:net';

// A raw SOCKS5 client for tor's SocksPort (remote DNS, so .onion works) that reads tor's reply
// code: with the SocksPort flag ExtendedErrors, tor says WHY an onion did not open, so a test can
// tell "refused for want of client authorisation" from "not reachable at all".

/** SOCKS5 reply codes: RFC 1928, and tor's onion service ones (tor(1), SocksPort flag ExtendedErrors). */
export const SOCKS_REPLY: Record<number, string> = {
  0x00: 'succeeded',
  0x01: 'general failure',
  0x02: 'not allowed by ruleset',
  0x03: 'network unreachable',
  0x04: 'host unreachable',
  0x05: 'connection refused',
  0x06: 'TTL expired',
  0x07: 'command not supported',
  0x08: 'address type not supported',
  0xf0: 'onion service descriptor can not be found',
  0xf1: 'onion service descriptor is invalid',
  0xf2: 'onion service introduction failed',
  0xf3: 'onion service rendezvous failed',
  0xf4: 'onion service missing client authorization',
  0xf5: 'onion service wrong client authorization',
  0xf6: 'onion service invalid address',
  0xf7: 'onion service introduction timed out',
};
export const MISSING_CLIENT_AUTH = 0xf4;
export const WRONG_CLIENT_AUTH = 0xf5;

/** "0xf4 onion service missing client authorization": what a failing assertion prints. */
export const replyName = (code: number): string => `0x${code.toString(16).padStart(2, '0')} ${SOCKS_REPLY[code] ?? 'unknown'}`;

/** Bytes in a complete SOCKS5 reply at the start of `b`, or null while more are needed. */
function replyLength(b: Buffer): number | null {
  if (b.length < 5) return null;
  const address = b[3] === 1 ? 4 : b[3] === 4 ? 16 : b[3] === 3 ? 1 + b[4]! : 0;
  return 4 + address + 2;
}

/** One SOCKS5 CONNECT: tor's reply code and, when it is 0 (connected), the open socket. */
export function socksConnect(socksPort: number, host: string, port: number, timeoutMs = 120_000): Promise<{ code: number; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socksPort, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    let greeted = false;
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`no SOCKS reply within ${timeoutMs} ms`)), timeoutMs);
    const closed = () => fail(new Error('SOCKS connection closed before a reply'));
    const onData = (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      if (!greeted) {
        if (buffered.length < 2) return;
        if (buffered[0] !== 5 || buffered[1] !== 0) return fail(new Error('SOCKS greeting refused'));
        greeted = true;
        buffered = buffered.subarray(2);
        const name = Buffer.from(host);
        socket.write(Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from([port >> 8, port & 255])]));
      }
      const length = replyLength(buffered);
      if (length === null || buffered.length < length) return;
      clearTimeout(timer);
      socket.off('data', onData).off('error', fail).off('close', closed);
      if (buffered[0] !== 5) return fail(new Error('not a SOCKS5 reply'));
      if (buffered[1] !== 0) socket.destroy();
      else if (buffered.length > length) socket.unshift(buffered.subarray(length));
      resolve({ code: buffered[1]!, socket });
    };
    socket.once('connect', () => socket.write(Buffer.from([5, 1, 0]))); // no authentication
    socket.on('data', onData).on('error', fail).on('close', closed);
  });
}

const onionTarget = (url: string) => {
  const target = new URL(url);
  return { host: target.hostname, port: Number(target.port || 80), path: target.pathname + target.search };
};

/**
 * Tor's reply to a CONNECT to `url`: 0 once it connects, or the first client-authorisation
 * refusal (0xF4, 0xF5), tor's own verdict on the descriptor. Anything else (descriptor not found,
 * introduction or rendezvous failed, no reply) can be a network still settling, so it is retried
 * until the deadline, then returned as the answer: never taken for a refusal.
 */
export async function onionReply(socksPort: number, url: string, { deadlineMs = 60_000 } = {}): Promise<number> {
  const { host, port } = onionTarget(url);
  const deadline = Date.now() + deadlineMs;
  let last: number | Error = new Error('no attempt');
  while (Date.now() < deadline) {
    try {
      const { code, socket } = await socksConnect(socksPort, host, port, Math.max(1000, deadline - Date.now()));
      socket.destroy();
      if (code === 0 || code === MISSING_CLIENT_AUTH || code === WRONG_CLIENT_AUTH) return code;
      last = code;
    } catch (error) {
      last = error as Error;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (last instanceof Error) throw last;
  return last;
}

export type TorResponse = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

/** GET (or POST) through tor, retrying while the onion is not yet reachable, until the deadline. */
export async function fetchViaTor(socksPort: number, url: string, o: { method?: string; body?: Buffer; headers?: Record<string, string>; deadlineMs?: number } = {}): Promise<TorResponse> {
  const target = onionTarget(url);
  const deadline = Date.now() + (o.deadlineMs ?? 60_000);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const { code, socket } = await socksConnect(socksPort, target.host, target.port);
      if (code !== 0) throw new Error(`SOCKS reply ${replyName(code)}`);
      return await new Promise<TorResponse>((resolve, reject) => {
        const req = http.request({ createConnection: () => socket, host: target.host, path: target.path, method: o.method ?? 'GET', headers: o.headers, timeout: 60_000 }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })).on('error', reject);
        });
        req.on('error', reject).on('timeout', () => req.destroy(new Error('timeout')));
        req.end(o.body);
      });
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  throw new Error(`${url} not reachable through tor: ${(last as Error)?.message}`);
}
