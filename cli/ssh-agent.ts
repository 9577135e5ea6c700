/**
 * A client of the SSH agent protocol (draft-miller-ssh-agent, the protocol `ssh-add` speaks) over
 * `SSH_AUTH_SOCK`: list the keys the agent holds, and ask it to sign. The private key never leaves
 * the agent (or the hardware token behind it).
 */
import { createConnection } from 'node:net';
import { WireReader, WireWriter } from '../core/ssh-wire';

const FAILURE = 5;
const REQUEST_IDENTITIES = 11;
const IDENTITIES_ANSWER = 12;
const SIGN_REQUEST = 13;
const SIGN_RESPONSE = 14;
/** Sign with rsa-sha2-512 rather than SHA-1 `ssh-rsa`. */
const RSA_SHA2_512 = 4;

export interface AgentKey {
  blob: Uint8Array;
  comment: string;
}

/** One request, one answer: connects, sends, reads one message, closes. */
function request(socket: string, message: Uint8Array, timeoutMs = 30_000): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => conn.destroy(new Error(`ssh-agent did not answer within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
    conn.on('connect', () => conn.write(new WireWriter().bytes(message).done()));
    conn.on('data', (c: Buffer) => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readUInt32BE(0)) {
        clearTimeout(timer);
        conn.end();
        resolve(all.subarray(4, 4 + all.readUInt32BE(0)));
      }
    });
    conn.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot talk to ssh-agent at ${socket}: ${err.message}`));
    });
  });
}

/** The keys the agent holds (`ssh-add -L`). */
export async function agentKeys(socket: string): Promise<AgentKey[]> {
  const answer = new WireReader(await request(socket, new Uint8Array([REQUEST_IDENTITIES])));
  const type = answer.raw(1, 'message type')[0];
  if (type !== IDENTITIES_ANSWER) throw new Error(`ssh-agent answered message ${type} to a key listing`);
  const n = answer.uint32('key count');
  const keys: AgentKey[] = [];
  for (let i = 0; i < n; i++) keys.push({ blob: answer.bytes('key'), comment: answer.string('comment') });
  return keys;
}

/** The agent's SSH signature blob (string algorithm ‖ string bytes) over `data` with `key`. */
export async function agentSign(socket: string, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const keyType = new WireReader(key).string('key type');
  const message = new WireWriter()
    .raw(new Uint8Array([SIGN_REQUEST]))
    .bytes(key)
    .bytes(data)
    .uint32(keyType === 'ssh-rsa' ? RSA_SHA2_512 : 0)
    .done();
  const answer = new WireReader(await request(socket, message));
  const type = answer.raw(1, 'message type')[0];
  if (type === FAILURE)
    throw new Error(
      'ssh-agent refused to sign (a key that needs confirmation or a touch that did not come?)',
    );
  if (type !== SIGN_RESPONSE) throw new Error(`ssh-agent answered message ${type} to a sign request`);
  return answer.bytes('signature');
}
