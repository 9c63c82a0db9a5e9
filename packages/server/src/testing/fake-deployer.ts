/**
 * A stand-in for the deploy engine at Conveyor's own interface (`Deployer` of
 * @conveyor/deploy), for the server's and the CLI's tests of what surrounds an apply: it renders
 * each source file into a ConfigMap (placeholders `${name}` filled from the values), addresses
 * versions by the SHA-256 of their canonical JSON, and "applies" by recording the request and
 * logging progress. Real clusters are the deploy engine's own tests.
 *
 * Knobs: a value `fail=<reason>` makes the apply fail on the first object with that reason; a
 * held gate (`hold()`) keeps applies waiting until released, so tests can queue deployments
 * behind a running one. Every apply logs one line with the credentials' token in it, which the
 * server must mask.
 */
import { createHash } from "node:crypto";
import type {
  ApplyOutcome,
  ApplyRequest,
  Deployer,
  DiffEntry,
  DiffRequest,
  KubeObject,
  ObjectRef,
  RenderedVersion,
  ResourceSetSource,
} from "@conveyor/deploy";

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const refOf = (object: KubeObject, namespace?: string): ObjectRef => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name,
  ...((object.metadata.namespace ?? namespace)
    ? { namespace: object.metadata.namespace ?? namespace }
    : {}),
});

const sameRef = (a: ObjectRef, b: ObjectRef) =>
  a.apiVersion === b.apiVersion &&
  a.kind === b.kind &&
  a.name === b.name &&
  a.namespace === b.namespace;

export class FakeDeployer implements Deployer {
  /** Every apply request, in order (the server's side of the contract, for assertions). */
  readonly applies: ApplyRequest[] = [];
  readonly diffs: DiffRequest[] = [];
  private gate: Promise<void> | undefined;
  private release: (() => void) | undefined;
  /** Applies waiting at the gate now, and who waits for that number. */
  private held = 0;
  private waiters: { count: number; resolve: () => void }[] = [];

  async render(source: ResourceSetSource): Promise<RenderedVersion> {
    if (source.files.some((file) => file.content.includes("INVALID")))
      throw new Error("k8s/broken.yml: mapping values are not allowed here (line 1)");
    const objects: KubeObject[] = source.files.map((file) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: file.path.replace(/[^a-z0-9]+/gi, "-").toLowerCase() },
      data: {
        content: file.content.replace(
          /\$\{(\w+)\}/g,
          (_, name: string) => source.values[name] ?? "",
        ),
      },
    }));
    const digest = `sha256:${createHash("sha256").update(canonical({ source, objects })).digest("hex")}`;
    return { digest, source, objects };
  }

  async diff(request: DiffRequest): Promise<DiffEntry[]> {
    this.diffs.push(request);
    const refs = request.version.objects.map((o) => refOf(o, request.target.namespace));
    return [
      ...refs.map((ref) => ({
        ref,
        change: request.previousInventory.some((p) => sameRef(p, ref))
          ? ("update" as const)
          : ("create" as const),
        diff: `+ ${ref.kind}/${ref.name}`,
      })),
      ...request.previousInventory
        .filter((p) => !refs.some((ref) => sameRef(p, ref)))
        .map((ref) => ({ ref, change: "prune" as const })),
    ];
  }

  async apply(request: ApplyRequest): Promise<ApplyOutcome> {
    this.applies.push(request);
    const { target, version } = request;
    request.log(
      `connecting to ${target.credentials.server ?? "the kubeconfig's cluster"} with token ${target.credentials.token ?? "(kubeconfig)"}`,
    );
    if (this.gate) {
      this.held++;
      this.waiters = this.waiters.filter((waiter) => {
        if (this.held < waiter.count) return true;
        waiter.resolve();
        return false;
      });
      const aborted = new Promise<void>((resolve) =>
        request.signal.addEventListener("abort", () => resolve(), { once: true }),
      );
      await Promise.race([this.gate, aborted]);
      this.held--;
      if (request.signal.aborted)
        return { status: "canceled", objects: [], inventory: [], message: "aborted" };
    }
    const refs = version.objects.map((o) => refOf(o, target.namespace));
    const failure = version.source.values.fail;
    const objects = refs.map((ref, index) => {
      const failed = failure !== undefined && index === 0;
      request.log(`${ref.kind}/${ref.name} ${failed ? "failed" : "configured"}`);
      return {
        ref,
        action: failed ? ("failed" as const) : ("configured" as const),
        health: failed ? ("Failed" as const) : ("Current" as const),
        ...(failed ? { message: failure } : {}),
      };
    });
    const pruned = request.previousInventory.filter((p) => !refs.some((ref) => sameRef(p, ref)));
    if (failure === undefined)
      for (const ref of pruned) request.log(`${ref.kind}/${ref.name} pruned`);
    if (failure !== undefined) {
      return {
        status: "failed",
        objects,
        // As the engine does: a failed apply prunes nothing and keeps the previous objects.
        inventory: [...refs, ...pruned],
        message: `${refs[0]?.kind}/${refs[0]?.name}: ${failure}`,
      };
    }
    request.log("all objects are Current");
    return {
      status: "success",
      objects: [
        ...objects,
        ...pruned.map((ref) => ({ ref, action: "pruned" as const, health: "NotFound" as const })),
      ],
      inventory: refs,
    };
  }

  /** Holds every apply (after its first log line) until the answered function is called. */
  hold(): () => void {
    this.gate = new Promise((resolve) => (this.release = resolve));
    return () => {
      this.gate = undefined;
      this.release?.();
    };
  }

  /** Resolves when `count` applies wait at the held gate. */
  waiting(count = 1): Promise<void> {
    if (this.held >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}
