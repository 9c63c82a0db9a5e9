// The runner's executor contract (exit codes, output, variables, file variables, masking,
// timeouts and cancels with children, cleanup) against the Docker executor on the real engine,
// in the busybox test image (sh, no bash).
import { executorContract } from "@conveyor/runner/testing";
import { DockerExecutor } from "./executor.js";
import { connectTestEngine } from "./testing/engine.js";
import { ensureBusyboxImage, TEST_BUSYBOX_IMAGE } from "./testing/images.js";

executorContract("docker (busybox image)", async () => {
  const docker = await connectTestEngine();
  await ensureBusyboxImage(docker);
  return new DockerExecutor({ docker, defaultImage: TEST_BUSYBOX_IMAGE });
});
