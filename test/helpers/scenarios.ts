/**
 * Scenario files and ports made on the fly for tests and benchmarks.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * `n` web tiers whose health checks probe 8081 while their apps serve 8080 (the hc-wrong-port fault,
 * once per backend service), written to `dir`; returns the file path.
 */
export function wrongPortTiers(dir: string, n: number, instancesPerTier = 1, requestsPerSecond = 1): string {
  const tiers = Array.from({ length: n }, (_, i) => i + 1);
  const yaml = [
    `name: wrong-port-tiers-${n}`,
    `description: ${n} backend services, each with a health check on the wrong port.`,
    'project: demo-project',
    'healthChecks:',
    ...tiers.map((i) => `  - { name: web${i}-hc, type: HTTP, port: 8081, requestPath: /healthz }`),
    'firewalls:',
    '  - { name: allow-hc, sourceRanges: [35.191.0.0/16, 130.211.0.0/22], targetTags: [web], allowed: [{ IPProtocol: tcp }] }',
    'instanceGroups:',
    ...tiers.flatMap((i) => [
      `  - name: web${i}-ig`,
      '    zone: us-central1-a',
      '    namedPorts: [{ name: http, port: 8080 }]',
      '    instances:',
      ...Array.from(
        { length: instancesPerTier },
        (_, k) => `      - { name: web${i}-${k}, tags: [web], app: { port: 8080, paths: [/, /healthz] } }`,
      ),
    ]),
    'backendServices:',
    ...tiers.flatMap((i) => [
      `  - name: web${i}-bs`,
      '    portName: http',
      `    healthChecks: [web${i}-hc]`,
      `    backends: [{ instanceGroup: web${i}-ig }]`,
      `    traffic: { requestsPerSecond: ${requestsPerSecond}, paths: [{ path: /, weight: 1 }] }`,
    ]),
  ].join('\n');
  const file = join(dir, `wrong-port-tiers-${n}.yaml`);
  writeFileSync(file, `${yaml}\n`);
  return file;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
