/**
 * `createDeployer`: the deploy engine behind the `Deployer` contract (types.ts) that the server
 * calls — render a source into a version, preview it, apply it. Each diff and apply talks to
 * the target's cluster through a fresh Cluster (kube-cluster.ts unless `connect` is given)
 * that is closed when the call ends. apply() never throws: whatever goes wrong becomes a
 * `failed` outcome with a message.
 */
import { type ApplyTuning, applyVersion } from "./apply/apply.js";
import { mergeInventory } from "./apply/prune.js";
import { createKubeCluster } from "./cluster/kube-cluster.js";
import type { Cluster } from "./cluster/port.js";
import { diffVersion } from "./diff/diff.js";
import { type RenderOptions, renderSource } from "./render/render.js";
import type { ApplyOutcome, Deployer, DeployTarget } from "./types.js";

export interface DeployerOptions extends RenderOptions, ApplyTuning {
  /** How to reach a target's cluster (default: the @kubernetes/client-node adapter). */
  connect?: (target: DeployTarget) => Cluster;
}

export function createDeployer(options: DeployerOptions = {}): Deployer {
  const connect = options.connect ?? createKubeCluster;
  const tuning: ApplyTuning = {};
  if (options.pollIntervalMs !== undefined) tuning.pollIntervalMs = options.pollIntervalMs;
  if (options.unschedulableAfterMs !== undefined)
    tuning.unschedulableAfterMs = options.unschedulableAfterMs;
  if (options.notReadyAfterMs !== undefined) tuning.notReadyAfterMs = options.notReadyAfterMs;
  if (options.logLines !== undefined) tuning.logLines = options.logLines;
  if (options.crdWaitMs !== undefined) tuning.crdWaitMs = options.crdWaitMs;
  return {
    render: (source) => renderSource(source, options),
    async diff(request) {
      const cluster = connect(request.target);
      try {
        return await diffVersion(cluster, request);
      } finally {
        cluster.close();
      }
    },
    async apply(request): Promise<ApplyOutcome> {
      let cluster: Cluster | undefined;
      try {
        cluster = connect(request.target);
        return await applyVersion(cluster, request, tuning);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        request.log(`deploy failed: ${message}`);
        return {
          status: "failed",
          objects: [],
          inventory: mergeInventory([], request.previousInventory),
          message,
        };
      } finally {
        cluster?.close();
      }
    },
  };
}
