/**
 * Prometheus metrics at `/metrics` (text exposition format, via prom-client): jobs by final
 * status, jobs waiting, time a job waited in the queue before a runner had its payload,
 * runners online, plus the process's default metrics. Each server has its own registry, so
 * several servers in one process (tests) don't share counters.
 */
import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "../store/types.js";
import { runnerStatus } from "./runners-api.js";

export class ServerMetrics {
  readonly registry = new Registry();
  readonly jobsFinished: Counter<"status">;
  readonly queueWait: Histogram;
  readonly jobRequests: Counter<"outcome">;

  constructor(store: Store, clock: () => number) {
    collectDefaultMetrics({ register: this.registry, prefix: "conveyor_" });
    this.jobsFinished = new Counter({
      name: "conveyor_jobs_finished_total",
      help: "Jobs that reached a final status, by status",
      labelNames: ["status"],
      registers: [this.registry],
    });
    this.queueWait = new Histogram({
      name: "conveyor_job_queue_wait_seconds",
      help: "From a job becoming pending to a runner receiving its payload",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [this.registry],
    });
    this.jobRequests = new Counter({
      name: "conveyor_job_requests_total",
      help: "Runner job requests, by outcome (job: a payload was sent; empty: 204)",
      labelNames: ["outcome"],
      registers: [this.registry],
    });
    new Gauge({
      name: "conveyor_jobs_pending",
      help: "Jobs waiting for a runner (counted up to 10000)",
      registers: [this.registry],
      async collect() {
        this.set((await store.jobs.queue(10_000)).length);
      },
    });
    new Gauge({
      name: "conveyor_runners_online",
      help: "Runners that contacted the server in the last 2 hours",
      registers: [this.registry],
      async collect() {
        const now = clock();
        this.set(
          (await store.runners.list()).filter((r) => runnerStatus(r, now) === "online").length,
        );
      },
    });
  }

  mount(app: FastifyInstance): void {
    app.get("/metrics", async (_request, reply) =>
      reply.type(this.registry.contentType).send(await this.registry.metrics()),
    );
  }
}
