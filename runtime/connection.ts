/**
 * How lbmedic connects to Temporal: plain for a local server, mTLS or an API key for a secured
 * cluster or Temporal Cloud. One place, used by the worker, the receiver and every command.
 */
import { readFileSync } from 'node:fs';
import type { Config } from './config';

export interface TemporalConnectionOptions {
  address: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer } | boolean;
  apiKey?: string;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

export function temporalConnectionOptions(
  config: Config,
  address = config.temporalAddress,
): TemporalConnectionOptions {
  const opts: TemporalConnectionOptions = { address };
  if (config.temporalTlsCert && config.temporalTlsKey) {
    opts.tls = {
      clientCertPair: {
        crt: read(config.temporalTlsCert, 'TEMPORAL_TLS_CERT'),
        key: read(config.temporalTlsKey, 'TEMPORAL_TLS_KEY'),
      },
      ...(config.temporalTlsCa
        ? { serverRootCACertificate: read(config.temporalTlsCa, 'TEMPORAL_TLS_CA') }
        : {}),
    };
  } else if (config.temporalApiKey || config.temporalTls) {
    // Temporal Cloud with an API key: TLS with the system's roots.
    opts.tls = config.temporalTlsCa
      ? { serverRootCACertificate: read(config.temporalTlsCa, 'TEMPORAL_TLS_CA') }
      : true;
  }
  if (config.temporalApiKey) opts.apiKey = config.temporalApiKey;
  return opts;
}
