import { AutoscalerError } from "@ger/core";
import type { TraceJob } from "./trace-job";

/** A bad trace, by the line it is on: the run stops with this message. */
export class TraceError extends AutoscalerError {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`trace line ${line}: ${problem}`);
  }
}

const REQUIRED_COLUMNS = ["job_id", "project_id", "created_at", "duration_s", "tags"] as const;
const PIPELINE_COLUMNS = ["pipeline_id", "stage", "name"] as const;
const COLUMNS: readonly string[] = [...REQUIRED_COLUMNS, ...PIPELINE_COLUMNS];

interface CsvRecord {
  /** The line the record starts on (a quoted field may span lines). */
  readonly line: number;
  readonly fields: readonly string[];
}

const endsField = (char: string | undefined) =>
  char === undefined || char === "," || char === "\n" || char === "\r";

/**
 * The records of an RFC 4180 text: fields separated by commas, records by CRLF or LF; a field in
 * double quotes may hold commas, line breaks and doubled quotes. No CSV library is installed, and
 * this is all a trace needs.
 */
function* csvRecords(text: string): Generator<CsvRecord> {
  let at = 0;
  let line = 1;
  while (at < text.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let value = "";
      if (text[at] === '"') {
        for (at++; ; at++) {
          if (at >= text.length) throw new TraceError(start, "a quoted field is never closed");
          const char = text[at];
          if (char === '"' && text[at + 1] === '"') at++;
          else if (char === '"') break;
          else if (char === "\n") line++;
          value += char;
        }
        at++;
        if (!endsField(text[at]))
          throw new TraceError(line, 'a closing quote must end its field (write a quote as "")');
      } else {
        const from = at;
        while (!endsField(text[at])) {
          if (text[at] === '"')
            throw new TraceError(line, "a quote in an unquoted field: quote the whole field");
          at++;
        }
        value = text.slice(from, at);
      }
      fields.push(value);
      if (text[at] !== ",") break;
      at++;
    }
    if (text[at] === "\r") at++;
    if (text[at] === "\n") at++;
    line++;
    yield { line: start, fields };
  }
}

/** Where each column is; refuses unknown, repeated and missing columns. */
const readHeader = ({ line, fields }: CsvRecord): Map<string, number> => {
  const columns = new Map<string, number>();
  fields.forEach((name, index) => {
    if (!COLUMNS.includes(name))
      throw new TraceError(line, `unknown column '${name}' (columns: ${COLUMNS.join(", ")})`);
    if (columns.has(name)) throw new TraceError(line, `column '${name}' appears twice`);
    columns.set(name, index);
  });
  for (const name of REQUIRED_COLUMNS)
    if (!columns.has(name)) throw new TraceError(line, `missing column '${name}'`);
  if (columns.has("pipeline_id") !== columns.has("stage"))
    throw new TraceError(line, "columns pipeline_id and stage come together, or neither");
  return columns;
};

const WHOLE = /^\d+$/;
const NUMBER = /^\d+(\.\d+)?$/;
// ISO 8601 with a time zone, so that a trace means the same instant on every machine.
const ISO_TIME =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

const isIsoTime = (text: string): boolean => {
  const date = ISO_TIME.exec(text)?.[1];
  if (date === undefined) return false;
  // Date.parse takes 2099-02-30 for March 2nd: the day must exist.
  const midnight = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(midnight) && new Date(midnight).toISOString().startsWith(date);
};

/** One row's job, its values checked in column order; `line` names the row in every complaint. */
const readJob = (line: number, value: (column: string) => string): TraceJob => {
  const fail = (column: string, rule: string): never => {
    throw new TraceError(line, `${column} ${rule}, got '${value(column)}'`);
  };
  const whole = (column: string, minimum: 0 | 1): number => {
    const number = Number(value(column));
    if (!WHOLE.test(value(column)) || !Number.isSafeInteger(number) || number < minimum)
      fail(column, minimum === 1 ? "must be a positive whole number" : "must be a whole number");
    return number;
  };
  const jobId = whole("job_id", 1);
  const projectId = whole("project_id", 1);
  if (!isIsoTime(value("created_at")))
    fail("created_at", "must be an ISO 8601 time with a time zone, like 2099-11-23T09:00:00Z");
  if (!NUMBER.test(value("duration_s"))) fail("duration_s", "must be a non-negative number");
  const tags = value("tags") === "" ? [] : value("tags").split(";");
  if (tags.includes("")) fail("tags", "must be tags separated by ';', none of them empty");
  const inPipeline = value("pipeline_id") !== "";
  if (inPipeline !== (value("stage") !== ""))
    throw new TraceError(
      line,
      inPipeline ? "pipeline_id is set without a stage" : "stage is set without a pipeline_id",
    );
  const name = value("name");
  return {
    jobId,
    projectId,
    createdAt: new Date(value("created_at")),
    durationS: Number(value("duration_s")),
    tags,
    ...(inPipeline && { pipelineId: whole("pipeline_id", 1), stage: whole("stage", 0) }),
    ...(name !== "" && { name }),
  };
};

/**
 * Reads a CSV trace (see trace-job.ts): a header naming the columns in any order, then one job a
 * row, rows in any order. Returns the jobs by creation, then id; the first bad value stops it.
 */
export const parseTrace = (csv: string): TraceJob[] => {
  const records = csvRecords(csv.replace(/^\uFEFF/, ""));
  const header = records.next();
  if (header.done || header.value.fields.join("") === "")
    throw new TraceError(
      1,
      `the trace is empty: it needs the header ${REQUIRED_COLUMNS.join(",")}`,
    );
  const columns = readHeader(header.value);
  const jobs: TraceJob[] = [];
  const lineOfJob = new Map<number, number>();
  let lastLine = header.value.line;
  for (const { line, fields } of records) {
    lastLine = line;
    if (fields.length === 1 && fields[0] === "") continue;
    if (fields.length !== columns.size)
      throw new TraceError(
        line,
        `expected ${columns.size} fields, as in the header, got ${fields.length}`,
      );
    const job = readJob(line, (column) => fields[columns.get(column) ?? -1] ?? "");
    const earlier = lineOfJob.get(job.jobId);
    if (earlier !== undefined)
      throw new TraceError(line, `job_id ${job.jobId} is also on line ${earlier}`);
    lineOfJob.set(job.jobId, line);
    jobs.push(job);
  }
  if (jobs.length === 0) throw new TraceError(lastLine + 1, "the trace has no jobs");
  return jobs.sort(byCreation);
};

const byCreation = (a: TraceJob, b: TraceJob) =>
  a.createdAt.getTime() - b.createdAt.getTime() || a.jobId - b.jobId;

/** A field as RFC 4180 writes it: quoted only when it holds a comma, a quote or a line break. */
const csvField = (value: string): string =>
  /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;

/** To the millisecond, without a needless ".000". */
const isoTime = (at: Date) => at.toISOString().replace(".000Z", "Z");

/** Writes jobs as parseTrace reads them, by creation; pipeline columns only when a job has one. */
export const formatTrace = (jobs: readonly TraceJob[]): string => {
  const staged = jobs.some((job) => job.pipelineId !== undefined);
  const header = staged ? COLUMNS : REQUIRED_COLUMNS;
  const rows = [...jobs].sort(byCreation).map((job) => {
    const fields = [
      String(job.jobId),
      String(job.projectId),
      isoTime(job.createdAt),
      String(job.durationS),
      job.tags.join(";"),
    ];
    if (staged) fields.push(String(job.pipelineId ?? ""), String(job.stage ?? ""), job.name ?? "");
    return fields.map(csvField).join(",");
  });
  return `${[header.join(","), ...rows].join("\n")}\n`;
};
