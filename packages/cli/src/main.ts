import { parseArgs } from "node:util";
import { DynamoDemandStore, readControlPlaneStatus, systemClock } from "@ger/core";
import { formatStatus } from "./format-status";
import { resolveTableTarget, UsageError } from "./table-target";

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  status            what the control plane sees: jobs and active projects

Options:
  --json            print one JSON object instead of text
  --endpoint URL    read DynamoDB at URL (default: the local stack found on PORT, or TABLE_NAME in AWS)
  --table NAME      the table to read (default: TABLE_NAME, or the local stack's)
  -h, --help        this text`;

const runStatus = async (options: { json: boolean; endpoint?: string; table?: string }) => {
  const target = await resolveTableTarget(options, process.env);
  try {
    const status = await readControlPlaneStatus(
      new DynamoDemandStore(target.client, target.tableName),
      systemClock,
    );
    console.log(
      options.json ? JSON.stringify(status, null, 2) : formatStatus(status, target.description),
    );
  } finally {
    target.client.destroy();
  }
};

const main = async (argv: string[]): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      endpoint: { type: "string" },
      table: { type: "string" },
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
