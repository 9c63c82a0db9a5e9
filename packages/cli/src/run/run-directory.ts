/**
 * Where `conveyor run` keeps what a run makes, under `.conveyor/` at the repository's root
 * (git ignores it: the folder holds a `.gitignore` of `*`):
 *
 *   .conveyor/pipelines/<n>/               one folder per run; <n> is the pipeline's id and iid
 *     jobs/<job id>/artifacts.zip          the job's artifacts (a zip, as GitLab stores them)
 *     jobs/<job id>/<report>.gz            its reports (junit.gz, dotenv.gz, …)
 *     jobs/<job id>/job.log                its log, as the runner sent it
 *     report.json                          the run's statuses (what `--report` writes)
 *   .conveyor/cache/<key>.zip              caches, kept between runs
 *   .conveyor/builds/<slot>/<project>/     the jobs' checkouts, reused between runs
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface RunDirectory {
  /** `<repository>/.conveyor` */
  root: string;
  pipelineId: number;
  /** `.conveyor/pipelines/<id>` */
  pipelineDir: string;
  buildsRoot: string;
  cacheRoot: string;
}

export const RUN_DIRECTORY = ".conveyor";

/** The id the next run will take (ids count up from 1). */
export async function nextPipelineId(repositoryRoot: string): Promise<number> {
  let names: string[] = [];
  try {
    names = await readdir(join(repositoryRoot, RUN_DIRECTORY, "pipelines"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const taken = names
    .map((name) => Number.parseInt(name, 10))
    .filter((id) => Number.isSafeInteger(id) && id > 0);
  return Math.max(0, ...taken) + 1;
}

/**
 * Creates the folder of pipeline `pipelineId`. Fails when another run took that id in the
 * meantime (the plan already carries the id in `CI_PIPELINE_ID`).
 */
export async function createRunDirectory(
  repositoryRoot: string,
  pipelineId: number,
): Promise<RunDirectory> {
  const root = join(repositoryRoot, RUN_DIRECTORY);
  const pipelineDir = join(root, "pipelines", String(pipelineId));
  await mkdir(join(root, "pipelines"), { recursive: true });
  await writeFile(join(root, ".gitignore"), "*\n");
  try {
    await mkdir(pipelineDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new Error(
        `pipeline ${pipelineId} was started by another run at the same time; run again`,
      );
    }
    throw error;
  }
  return {
    root,
    pipelineId,
    pipelineDir,
    buildsRoot: join(root, "builds"),
    cacheRoot: join(root, "cache"),
  };
}
