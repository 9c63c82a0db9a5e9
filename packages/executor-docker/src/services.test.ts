// Services on the real engine: hostnames on the job network, readiness wait, warnings with the
// service's logs, command / entrypoint / variables.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type Docker from "dockerode";
import { connectTestEngine, testPayload } from "./testing/engine.js";
import { DockerHarness, runStep } from "./testing/harness.js";
import {
  ensureTestImages,
  HTTPD_BODY,
  TEST_BUSYBOX_IMAGE,
  TEST_HTTPD_IMAGE,
} from "./testing/images.js";

describe("DockerExecutor services", { concurrency: true }, () => {
  let docker: Docker;
  let harness: DockerHarness;
  const jobIds: number[] = [];

  before(async () => {
    docker = await connectTestEngine();
    await ensureTestImages(docker);
    harness = new DockerHarness(docker);
  });

  after(async () => {
    await harness?.close();
    for (const id of jobIds) {
      assert.deepEqual(await harness.leftovers(id), { containers: [], networks: [] }, `job ${id}`);
    }
  });

  test("a service answers from the job under its aliases and its default hostnames", async () => {
    const payload = testPayload({
      image: { name: TEST_BUSYBOX_IMAGE },
      services: [{ name: TEST_HTTPD_IMAGE, alias: "web,www  site" }],
    });
    jobIds.push(payload.id);
    const { session, logs } = await harness.prepare(payload);
    assert.ok(logs.includes(`Starting service ${TEST_HTTPD_IMAGE} ...`), logs.join("\n"));
    assert.ok(logs.includes("Waiting for services to be up and running (timeout 30 seconds)..."));
    assert.ok(
      !logs.some((line) => line.includes("probably didn't start properly")),
      logs.join("\n"),
    );
    const hosts = ["web", "www", "site", "conveyor-test__httpd", "conveyor-test-httpd"];
    const result = await runStep(
      session,
      hosts.map((host) => `wget -qO- http://${host}:80/`).join(" && "),
    );
    assert.equal(result.exitCode, 0, result.output);
    assert.equal(result.output, `${HTTPD_BODY}\n`.repeat(hosts.length));
    // The job container is reachable from the network as `build` too.
    const self = await runStep(
      session,
      "nslookup build >/dev/null 2>&1 || ping -c1 -W2 build >/dev/null && echo found",
    );
    assert.equal(self.output, "found\n");
    await session.cleanup();
  });

  test("prepare waits until a slow service listens, so the first request succeeds", async () => {
    const payload = testPayload({
      image: { name: TEST_BUSYBOX_IMAGE },
      services: [
        {
          name: TEST_HTTPD_IMAGE,
          alias: "slow",
          entrypoint: ["/bin/sh", "-c", "sleep 1.5; exec httpd -f -p 80 -h /www"],
        },
      ],
    });
    jobIds.push(payload.id);
    const { session, logs } = await harness.prepare(payload);
    assert.ok(
      !logs.some((line) => line.includes("probably didn't start properly")),
      logs.join("\n"),
    );
    const result = await runStep(session, "wget -qO- http://slow/");
    assert.deepEqual([result.exitCode, result.output], [0, `${HTTPD_BODY}\n`]);
    await session.cleanup();
  });

  test("a service that never listens gets the runner's warning with its logs; the job goes on", async () => {
    const payload = testPayload({
      image: { name: TEST_BUSYBOX_IMAGE },
      services: [
        {
          name: TEST_HTTPD_IMAGE,
          alias: "mute",
          command: ["sh", "-c", "echo service-log-line; sleep 300"],
        },
      ],
    });
    jobIds.push(payload.id);
    const { session, logs } = await harness.prepare(payload, { waitForServicesTimeoutMs: 1_000 });
    const text = logs.join("\n");
    assert.ok(
      logs.includes("Waiting for services to be up and running (timeout 1 seconds)..."),
      text,
    );
    assert.match(
      text,
      /\*\*\* WARNING: Service conveyor-job-\d+-[0-9a-f]+-conveyor-test__httpd-0 probably didn't start properly\./,
    );
    assert.match(
      text,
      /Health check error:\nservice did not accept TCP connections on [0-9.]+ port \[80\] within 1 seconds \(timeout\)/,
    );
    assert.match(text, /Service container logs:\n\S+Z service-log-line\n/);
    assert.equal((await runStep(session, "echo job runs")).output, "job runs\n");
    await session.cleanup();
  });

  test(
    "a service that exits ends the wait at once; one without ports is reported too",
    { timeout: 30_000 },
    async () => {
      const payload = testPayload({
        image: { name: TEST_BUSYBOX_IMAGE },
        services: [
          { name: TEST_HTTPD_IMAGE, alias: "dies", command: ["sh", "-c", "echo dying; exit 7"] },
          { name: TEST_BUSYBOX_IMAGE, alias: "portless", command: ["sleep", "300"] },
        ],
      });
      jobIds.push(payload.id);
      // A 60 s wait would fail the test's own timeout if either check waited for it.
      const { session, logs } = await harness.prepare(payload, {
        waitForServicesTimeoutMs: 60_000,
      });
      const text = logs.join("\n");
      assert.match(
        text,
        /Health check error:\nservice container exited with code 7 before it accepted connections/,
      );
      assert.match(text, /Service container logs:\n\S+Z dying\n/);
      assert.match(text, /Health check error:\nservice has no exposed TCP ports/);
      await session.cleanup();
    },
  );

  test("service variables (expanded), public job variables, command and the shared /builds", async () => {
    const payload = testPayload({
      image: { name: TEST_BUSYBOX_IMAGE },
      variables: [
        { key: "DB_NAME", value: "app", public: true },
        { key: "API_TOKEN", value: "do-not-pass", public: false, masked: true },
      ],
      services: [
        {
          name: TEST_BUSYBOX_IMAGE,
          alias: "writer",
          command: [
            "sh",
            "-c",
            'echo "$SERVICE_DB|$DB_NAME|${API_TOKEN:-no-secret}" > /builds/service-env; sleep 300',
          ],
          variables: [{ key: "SERVICE_DB", value: "${DB_NAME}_test" }],
        },
      ],
    });
    jobIds.push(payload.id);
    const { session, hostBuildsDir } = await harness.prepare(payload, {
      waitForServicesTimeoutMs: 0,
    });
    const result = await runStep(
      session,
      "for i in $(seq 50); do [ -s /builds/service-env ] && break; sleep 0.1; done; cat /builds/service-env",
    );
    assert.equal(result.output, "app_test|app|no-secret\n");
    assert.ok(hostBuildsDir.length > 0);
    await session.cleanup();
  });

  test("two services from one image are both reachable by their own aliases", async () => {
    const payload = testPayload({
      image: { name: TEST_BUSYBOX_IMAGE },
      services: [
        { name: TEST_HTTPD_IMAGE, alias: "first" },
        { name: TEST_HTTPD_IMAGE, alias: "second" },
      ],
    });
    jobIds.push(payload.id);
    const { session, logs } = await harness.prepare(payload);
    assert.ok(logs.includes(`WARNING: Service ${TEST_HTTPD_IMAGE} is already created. Ignoring.`));
    const result = await runStep(session, "wget -qO- http://first/ && wget -qO- http://second/");
    assert.equal(result.output, `${HTTPD_BODY}\n${HTTPD_BODY}\n`);
    assert.equal(session.resources.containers.length, 3);
    await session.cleanup();
  });
});
