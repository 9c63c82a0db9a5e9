/**
 * The shell executor against the runner's executor contract, once per shell it can run:
 * bash, the system sh (dash here) and busybox sh (the shell of Alpine-based images).
 */
import { accessSync, constants } from "node:fs";
import { executorContract } from "@conveyor/runner/testing";
import { ShellExecutor } from "./shell-executor.js";

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

executorContract("shell (bash)", () => new ShellExecutor({ shell: "bash", killGraceMs: 1000 }));
executorContract("shell (sh)", () => new ShellExecutor({ shell: "sh", killGraceMs: 1000 }));
const busybox = onPath("busybox");
if (busybox) {
  executorContract(
    "shell (busybox sh)",
    () =>
      new ShellExecutor({
        shell: { shell: "sh", command: busybox, args: ["sh"] },
        killGraceMs: 1000,
      }),
  );
}
