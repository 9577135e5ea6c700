/**
 * lbmedic's own in-VPC probe meets the firewall, as it would on Google Cloud.
 *
 * On GCP the worker runs on a VM (or a GKE pod) in the VPC, and its probe of a backend is an ingress
 * connection like any other: the backend's firewall must admit the worker's address, tags or service
 * account on the probed port, or the packets are dropped (gcp-facts §3: no allow rule leaves the
 * implied deny-all-ingress). On a laptop every simulated VM is a loopback address, so the simulator
 * gives each project's worker a loopback address of its own (`worker.loopbackAddress`, from the
 * simulator's claimed 127.x block) and a simulated identity (`worker.ipAddress`, `network`, `tags`,
 * `serviceAccounts`, from the scenario's `worker:` or `PATCH /_sim/projects/P/worker`).
 *
 * A connection to an app whose source address is the worker's loopback address is the worker's: the
 * app evaluates the project's ingress firewall (VPC rules and firewall policies, in GCP's order:
 * firewall.ts) for a TCP packet from `worker.ipAddress` (with the worker's tags and service accounts
 * for source-tag rules) to the instance on the app's port, and a connection the firewall would not
 * admit is dropped: held open and never answered, as a silently dropped SYN looks to the prober (a
 * timeout, never a refusal). Connections from any other address (the simulator's own health checker,
 * which applies the firewall itself, a developer's curl) are not the worker's and are served as
 * before. A prober that wants the firewall applied binds its sockets to `worker.loopbackAddress`
 * (Node: `localAddress`; curl: `--interface`).
 */
import type { Project } from './model';
import { evaluateIngress, firewallContext, IMPLIED_DENY_INGRESS } from './firewall';
import { sameResource } from './urls';

/** What an app does with one incoming connection. */
export interface ConnectionVerdict {
  admit: boolean;
  /** For the worker's connections: the deciding rule (or why there is no route). */
  rule?: string;
}

/** A dropped worker connection, kept for the control API (`GET /_sim/projects/P/worker`). */
export interface WorkerDrop {
  at: string;
  instance: string;
  port: number;
  rule: string;
}

const DROPS_KEPT = 50;
const drops = new WeakMap<Project, WorkerDrop[]>();

/** The worker's dropped connections, oldest first (at most the last 50). */
export function workerDrops(project: Project): WorkerDrop[] {
  return [...(drops.get(project) ?? [])];
}

function remember(project: Project, drop: WorkerDrop): void {
  const list = drops.get(project) ?? [];
  list.push(drop);
  if (list.length > DROPS_KEPT) list.splice(0, list.length - DROPS_KEPT);
  drops.set(project, list);
}

/** Node reports IPv4 peers of a dual-stack socket as `::ffff:a.b.c.d`. */
function plainIPv4(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/**
 * Does the app of `instanceName` in `project` accept a connection from loopback `source` to `port`?
 * Only the worker's connections are judged; everything else is admitted.
 */
export function workerConnection(
  project: Project | undefined,
  instanceName: string,
  source: string | undefined,
  port: number,
): ConnectionVerdict {
  const worker = project?.worker;
  const instance = project?.instances.get(instanceName);
  if (project === undefined || worker === undefined || instance === undefined) return { admit: true };
  if (worker.loopbackAddress === '' || plainIPv4(source) !== worker.loopbackAddress) return { admit: true };
  let verdict: ConnectionVerdict;
  if (!sameResource(worker.network, instance.network)) {
    // Another VPC: without peering (not modelled) there is no route at all.
    verdict = { admit: false, rule: `no route from network ${worker.network} to ${instance.network}` };
  } else {
    const result = evaluateIngress(
      firewallContext(project),
      {
        network: instance.network,
        tags: instance.tags,
        serviceAccounts: instance.serviceAccounts,
        ip: instance.networkIP,
      },
      {
        sourceIp: worker.ipAddress,
        protocol: 'tcp',
        port,
        sourceInstance: { tags: worker.tags, serviceAccounts: worker.serviceAccounts },
      },
    );
    verdict = { admit: result.allowed, rule: result.rule };
  }
  if (!verdict.admit) {
    remember(project, {
      at: new Date().toISOString(),
      instance: instanceName,
      port,
      rule: verdict.rule ?? IMPLIED_DENY_INGRESS,
    });
  }
  return verdict;
}
