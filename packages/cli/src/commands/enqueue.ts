import { discoverLocalStack, UsageError } from "../table-target";

export interface EnqueueOptions {
  readonly project?: string;
  readonly tags?: string;
  readonly duration?: string;
  readonly count?: string;
  readonly json: boolean;
}

const positiveInteger = (value: string | undefined, name: string, fallback: number): number => {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new UsageError(`--${name} must be a whole number above 0`);
  return number;
};

/** `enqueue`: creates jobs in the local GitLab double, which sends their Job Hooks like GitLab. */
export const runEnqueue = async (options: EnqueueOptions): Promise<void> => {
  const projectId = positiveInteger(options.project, "project", 1);
  const durationSeconds = positiveInteger(options.duration, "duration", 5);
  const count = positiveInteger(options.count, "count", 1);
  const tags = options.tags
    ? options.tags
        .split(",")
        .map((tag) => tag.trim())
        .filter(Boolean)
    : [];
  const stack = await discoverLocalStack(process.env.PORT ?? "8080");
  if (!stack.gitlabDoubleUrl) throw new Error("the local stack runs no GitLab double");
  const jobs: { id: number }[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${stack.gitlabDoubleUrl}/-/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ projectId, tags, durationSeconds }),
    });
    if (!response.ok) throw new Error(`the GitLab double answered ${response.status}`);
    jobs.push((await response.json()) as { id: number });
  }
  console.log(
    options.json
      ? JSON.stringify({ jobs })
      : jobs.map((job) => `enqueued job ${job.id} [${tags.join(",")}]`).join("\n"),
  );
};
