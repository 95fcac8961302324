/**
 * The Kubernetes objects that run one plan's workers (load/plan.ts) on many machines, built with the typed
 * models of `kubernetes-models` and validated against the Kubernetes OpenAPI schema they carry before
 * anything is written:
 *
 * - a ConfigMap holding the plan (plan.json);
 * - an Indexed Job of N pods, all started at once (parallelism N), each running the entry point local
 *   workers run (`muxbench load-worker --plan …`) as worker JOB_COMPLETION_INDEX. No pod is retried
 *   (backoffLimit 0: a retried worker would start late and miss the common windows), every pod asks for the
 *   CPU one worker uses (asks, without a CPU limit: throttling would stall the load in bursts), pods prefer
 *   distinct nodes, and the Job is bounded in time (activeDeadlineSeconds).
 *
 * Each pod's partial result is the last line of its log: `kubectl logs` collects them for `muxbench merge`.
 */
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { MuxbenchError } from '../errors.ts';
import { planEndsAt, type WorkerPlan } from '../load/plan.ts';

/** A manifest that the Kubernetes schema refuses, or a name Kubernetes would. */
export class ManifestError extends MuxbenchError {
  override readonly name = 'ManifestError';
  readonly code = 'MUX_ERR_MANIFEST';
}

export interface ManifestOptions {
  /** the Job's name, and the ConfigMap's prefix (a DNS label) */
  name: string;
  namespace: string;
  /** an image with muxbench in /muxbench (the repository's Dockerfile) */
  image: string;
  /** CPU each pod asks for, as Kubernetes writes quantities ("1", "500m"); not a limit (see below) */
  cpu: string;
  memory: string;
  /** when the manifests were made, ms since the epoch (the deadline counts from here) */
  now: number;
}

export const PLAN_PATH = '/etc/muxbench/plan.json';
/** After the last window: the drain, writing the partial, exit. */
const DEADLINE_SLACK_S = 120;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/;

/** Why `name` cannot name the Job (null: it can). */
export function nameProblem(name: string): string | null {
  return DNS_LABEL.test(name) ? null : `'${name}' is not a DNS label (lower-case letters, digits and '-', at most 52, starting and ending alphanumeric)`;
}

/** The ConfigMap and the Indexed Job, validated; throws with the schema's message when one is not valid. */
export function workerManifests(plan: WorkerPlan, o: ManifestOptions): [ConfigMap, Job] {
  const problem = nameProblem(o.name);
  if (problem) throw new ManifestError(`--name: ${problem}`);
  const labels = { 'app.kubernetes.io/name': 'muxbench', 'app.kubernetes.io/component': 'load-worker', 'muxbench/plan': plan.id };
  const configMap = new ConfigMap({
    metadata: { name: `${o.name}-plan`, namespace: o.namespace, labels },
    data: { 'plan.json': `${JSON.stringify(plan, null, 2)}\n` },
  });
  const deadline = Math.ceil((planEndsAt(plan) - o.now) / 1000) + DEADLINE_SLACK_S;
  const job = new Job({
    metadata: { name: o.name, namespace: o.namespace, labels },
    spec: {
      completionMode: 'Indexed',
      completions: plan.workers,
      parallelism: plan.workers,
      backoffLimit: 0,
      activeDeadlineSeconds: Math.max(DEADLINE_SLACK_S, deadline),
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'muxbench/plan': plan.id } } } },
              ],
            },
          },
          containers: [
            {
              name: 'load-worker',
              image: o.image,
              workingDir: '/muxbench',
              command: ['node', 'bin/muxbench.js', 'load-worker', '--plan', PLAN_PATH],
              // no CPU limit: CFS throttling of Node's GC and I/O threads would stall the load in bursts
              resources: { requests: { cpu: o.cpu, memory: o.memory }, limits: { memory: o.memory } },
              volumeMounts: [{ name: 'plan', mountPath: '/etc/muxbench', readOnly: true }],
            },
          ],
          volumes: [{ name: 'plan', configMap: { name: `${o.name}-plan` } }],
        },
      },
    },
  });
  for (const o of [configMap, job]) {
    try {
      o.validate();
    } catch (err) {
      throw new ManifestError(`the ${o.kind} failed the Kubernetes schema: ${(err as Error).message}`);
    }
  }
  return [configMap, job];
}

/** The objects as one YAML stream, for `kubectl apply -f`. */
export function manifestsYaml(objects: readonly { toJSON(): unknown }[]): string {
  return objects.map((o) => stringify(o.toJSON(), { lineWidth: 0 })).join('---\n');
}
