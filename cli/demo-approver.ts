/**
 * The demo approver of `lbmedic up --simulate`: the person running it gets a local Ed25519 key, kept
 * with the embedded server's state (`.temporal/approver/`), registered in an approvers file the
 * worker loads beside the policies. `lbmedic demo --manual` then asks for an approval signed with it,
 * exactly as production asks for one signed with a registered approver's own key.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parsePublicKey } from '../core/ssh-wire';
import { newEd25519Key } from './ssh-key-file';

export interface DemoApprover {
  name: string;
  /** The private key file (OpenSSH format, readable by its owner only). */
  keyFile: string;
  /** The approvers file that registers it. */
  approversFile: string;
}

/** The demo approver's name: who runs `up`, marked as the demo. */
export function demoApproverName(): string {
  const user = (process.env.USER ?? userInfo().username).replace(/[^A-Za-z0-9._-]/g, '_') || 'demo';
  return `${user}@lbmedic-demo`;
}

/** The demo approver in `dir`: its key is made once and kept; the approvers file is written each time. */
export function ensureDemoApprover(dir: string): DemoApprover {
  const name = demoApproverName();
  const keyFile = join(dir, 'id_ed25519');
  const pubFile = `${keyFile}.pub`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(keyFile) || !existsSync(pubFile)) {
    const key = newEd25519Key(name);
    writeFileSync(keyFile, key.privateKey, { mode: 0o600 });
    writeFileSync(pubFile, `${key.publicKey}\n`);
  }
  const publicKey = readFileSync(pubFile, 'utf8').trim();
  parsePublicKey(publicKey);
  const approversFile = join(dir, 'approvers.yaml');
  writeFileSync(
    approversFile,
    [
      '# Written by `lbmedic up --simulate`: the demo approver is whoever runs it, with the key beside',
      '# this file. Not for production: register your approvers in approvers.yaml (docs/approvals.md).',
      'approvers:',
      `  - name: ${name}`,
      '    keys:',
      `      - ${publicKey}`,
      '',
    ].join('\n'),
  );
  return { name, keyFile, approversFile };
}
