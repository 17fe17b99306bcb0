import { parseArgs } from "node:util";
import { runConnect } from "./commands/connect";
import { runDoctorCommand } from "./commands/doctor";
import { runDrain } from "./commands/drain";
import { runEnqueue } from "./commands/enqueue";
import { runHookToken } from "./commands/hook-token";
import { runImportTrace } from "./commands/import-trace";
import { runReap } from "./commands/reap";
import { runRenderUserData } from "./commands/render-user-data";
import { runSimulate } from "./commands/simulate";
import { runStatus } from "./commands/status";
import { UsageError } from "./table-target";

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  status                what the control plane sees: jobs, runners, pools
  render-user-data      the user-data a launch in a pool sends (no secret in it)
  enqueue               create jobs in the local GitLab double (npm start)
  reap                  run a reaper pass (--dry-run: only say what it would do, and why)
  drain                 stop new launches in --pool NAME and let its runners finish (--undo)
  hook-token            the secret token for --project N's webhook, derived from the master
  simulate              replay a job trace in virtual time: waits and cost, against the peers'
                        policies (--trace FILE [--policy P | --compare] [--report FILE.html])
  doctor                check that AWS, GitLab and this deployment fit together, with the fix
                        for each ✗ (--stage NAME: a deployed stage; without: the local stack)
  connect               add or update this deployment's webhook on --project ID or --group ID
                        ([--stage NAME]; --remove takes it away)
  import-trace          write --project N's job history from GitLab as a trace (GITLAB_URL,
                        GITLAB_TOKEN; --since DATE, --until DATE) to stdout

Options:
  --json                print one JSON object instead of text (status, enqueue, simulate, doctor)
  --stage NAME          doctor, connect: the deployed stage (default SST_STAGE; none: the local stack)
  --config FILE         the autoscaler config (default: AUTOSCALER_CONFIG, or autoscaler.config.ts)
  --endpoint URL        read DynamoDB at URL (default: the local stack on PORT, or TABLE_NAME in AWS)
  --table NAME          the table to read (default: TABLE_NAME, or the local stack's)
  --pool NAME           render-user-data: the pool (default: the first)
  --project N           enqueue: project id (default 1); hook-token, connect: the project
  --group N             connect: the group
  --remove              connect: remove the webhook instead
  --secret-id ARN       hook-token: read the webhook secret from Secrets Manager
                        (default: WEBHOOK_SECRET, or the local stack's)
  --tags a,b            enqueue: the job's tags
  --duration S          enqueue: how long the job runs, in seconds (default 5)
  --count N             enqueue: how many jobs (default 1)
  --dry-run             reap: change nothing
  --undo                drain: launch in the pool again
  --trace FILE          simulate: the job trace (CSV: job_id,project_id,created_at,duration_s,tags
                        [,pipeline_id,stage,name])
  --policy NAME         simulate: default (this project), per-job or idle-pool
  --compare             simulate: all three policies on the same trace and world
  --seed N              simulate: the world's random seed (default 1)
  --report FILE         simulate: also write a self-contained HTML report
  --faults SPEC         simulate: inject faults, kind=probability,... (duplicate, reorder, drop,
                        capacity, throttle, gitlab5xx, spot, slowboot, statuslag, eventdrop,
                        crash), and check the invariants (default policy only)
  --registered-runner-limit N
                        simulate: GitLab's registered-runner cap of each group or project the
                        pools register in (gitlab.com: 50 on Free, 1,000 on Premium)
  --gitlab-plan NAME    simulate: the world is gitlab.com, the pools' groups on this plan
                        (free, premium, ultimate, opensource): its cap, read by the scaler
  --parameter-store-tps N
                        simulate: Parameter Store's throughput (default 40, its standard one)
  --since, --until      import-trace: the window, by job creation (YYYY-MM-DD or ISO 8601)
  -h, --help            this text`;

const main = async (argv: string[]): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      config: { type: "string" },
      endpoint: { type: "string" },
      table: { type: "string" },
      pool: { type: "string" },
      project: { type: "string" },
      group: { type: "string" },
      stage: { type: "string" },
      remove: { type: "boolean", default: false },
      "secret-id": { type: "string" },
      tags: { type: "string" },
      duration: { type: "string" },
      count: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      undo: { type: "boolean", default: false },
      trace: { type: "string" },
      policy: { type: "string" },
      compare: { type: "boolean", default: false },
      seed: { type: "string" },
      faults: { type: "string" },
      "registered-runner-limit": { type: "string" },
      "gitlab-plan": { type: "string" },
      "parameter-store-tps": { type: "string" },
      report: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`);
  switch (command) {
    case "status":
      await runStatus(values);
      return 0;
    case "render-user-data":
      await runRenderUserData(values);
      return 0;
    case "enqueue":
      await runEnqueue(values);
      return 0;
    case "reap":
      await runReap({ dryRun: values["dry-run"], json: values.json });
      return 0;
    case "drain":
      await runDrain(values);
      return 0;
    case "hook-token":
      await runHookToken({ project: values.project, secretId: values["secret-id"] });
      return 0;
    case "simulate":
      await runSimulate(values);
      return 0;
    case "doctor":
      return runDoctorCommand(values);
    case "connect":
      await runConnect(values);
      return 0;
    case "import-trace":
      await runImportTrace({ project: values.project, since: values.since, until: values.until });
      return 0;
    default:
      throw new UsageError(`unknown command '${command}'\n\n${USAGE}`);
  }
};

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage =
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`error: ${(error as Error).message}`);
    process.exit(usage ? 2 : 1);
  },
);
