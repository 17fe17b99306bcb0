import { describe, expect, it } from "vitest";
import { formatTrace, parseTrace, TraceError } from "../src/trace/parse-trace";
import type { TraceJob } from "../src/trace/trace-job";

const HEADER = "job_id,project_id,created_at,duration_s,tags";
const STAGED_HEADER = `${HEADER},pipeline_id,stage,name`;

/** The error parseTrace throws for this CSV. */
const refusal = (csv: string): TraceError => {
  try {
    parseTrace(csv);
  } catch (error) {
    if (error instanceof TraceError) return error;
    throw error;
  }
  throw new Error("the trace was accepted");
};

describe("parseTrace", () => {
  it("reads the columns by the header, in any order, and sorts the jobs by creation then id", () => {
    const csv = [
      "tags,duration_s,created_at,project_id,job_id",
      "docker;amd64,90,2099-11-23T09:00:05Z,7,3",
      ",30.5,2099-11-23T09:00:00Z,7,2",
      "docker,60,2099-11-23T10:00:00+01:00,8,1",
    ].join("\n");

    const jobs = parseTrace(csv);

    expect(jobs).toEqual([
      {
        jobId: 1,
        projectId: 8,
        createdAt: new Date("2099-11-23T09:00:00Z"),
        durationS: 60,
        tags: ["docker"],
      },
      {
        jobId: 2,
        projectId: 7,
        createdAt: new Date("2099-11-23T09:00:00Z"),
        durationS: 30.5,
        tags: [],
      },
      {
        jobId: 3,
        projectId: 7,
        createdAt: new Date("2099-11-23T09:00:05Z"),
        durationS: 90,
        tags: ["docker", "amd64"],
      },
    ]);
  });

  it("reads pipeline, stage and name, and quoted fields with commas, quotes and line breaks (RFC 4180)", () => {
    const csv = [
      "name,stage,pipeline_id,job_id,project_id,created_at,duration_s,tags",
      '"rspec, ""slow""\r\npart 2",1,40,11,5,2099-11-23T09:00:00.250Z,600,"docker;amd64"',
      "build,0,40,10,5,2099-11-23T09:00:00.250Z,120,",
      "",
    ].join("\r\n");

    const jobs = parseTrace(csv);

    expect(
      jobs.map(({ jobId, pipelineId, stage, name, tags }) => ({
        jobId,
        pipelineId,
        stage,
        name,
        tags,
      })),
    ).toEqual([
      { jobId: 10, pipelineId: 40, stage: 0, name: "build", tags: [] },
      {
        jobId: 11,
        pipelineId: 40,
        stage: 1,
        name: 'rspec, "slow"\r\npart 2',
        tags: ["docker", "amd64"],
      },
    ]);
  });

  it("takes a row without pipeline in a staged trace, and leaves out an empty name", () => {
    const jobs = parseTrace(`${STAGED_HEADER}\n1,5,2099-11-23T09:00:00Z,10,,,,\n`);

    expect(jobs).toEqual([
      {
        jobId: 1,
        projectId: 5,
        createdAt: new Date("2099-11-23T09:00:00Z"),
        durationS: 10,
        tags: [],
      },
    ]);
  });

  it.each([
    ["abc", "job_id must be a positive whole number, got 'abc'"],
    ["0", "job_id must be a positive whole number, got '0'"],
    ["1.5", "job_id must be a positive whole number, got '1.5'"],
    ["99999999999999999999", "job_id must be a positive whole number, got '99999999999999999999'"],
  ])("refuses job_id %s, by its line", (jobId, problem) => {
    const error = refusal(
      `${HEADER}\n1,5,2099-11-23T09:00:00Z,10,\n${jobId},5,2099-11-23T09:00:00Z,10,\n`,
    );

    expect(error).toMatchObject({ line: 3, message: `trace line 3: ${problem}` });
  });

  it("refuses a job_id seen before, naming both lines", () => {
    const error = refusal(
      `${HEADER}\n7,5,2099-11-23T09:00:00Z,10,\n8,5,2099-11-23T09:00:00Z,10,\n7,6,2099-11-23T09:01:00Z,10,\n`,
    );

    expect(error).toMatchObject({ line: 4, message: "trace line 4: job_id 7 is also on line 2" });
  });

  it.each([
    ["project_id", "0", "must be a positive whole number"],
    ["project_id", "-3", "must be a positive whole number"],
    ["created_at", "2099-11-23 09:00:00", "must be an ISO 8601 time with a time zone"],
    ["created_at", "2099-11-23T09:00:00", "must be an ISO 8601 time with a time zone"],
    ["created_at", "2099-02-30T09:00:00Z", "must be an ISO 8601 time with a time zone"],
    ["created_at", "2099-13-01T09:00:00Z", "must be an ISO 8601 time with a time zone"],
    ["created_at", "2099-11-23T09:00:00+0100", "must be an ISO 8601 time with a time zone"],
    ["created_at", "2099-11-23T25:00:00Z", "must be an ISO 8601 time with a time zone"],
    ["created_at", "yesterday", "must be an ISO 8601 time with a time zone"],
    ["duration_s", "abc", "must be a non-negative number"],
    ["duration_s", "-5", "must be a non-negative number"],
    ["duration_s", "", "must be a non-negative number"],
    ["tags", "docker;;amd64", "must be tags separated by ';', none of them empty"],
    ["tags", "docker;", "must be tags separated by ';', none of them empty"],
    ["pipeline_id", "0", "must be a positive whole number"],
    ["stage", "first", "must be a whole number"],
  ])("refuses %s '%s', by its line", (column, value, rule) => {
    const row: Record<string, string> = {
      job_id: "1",
      project_id: "5",
      created_at: "2099-11-23T09:00:00Z",
      duration_s: "10",
      tags: "",
      pipeline_id: "40",
      stage: "0",
      name: "build",
      [column]: value,
    };
    const columns = STAGED_HEADER.split(",");
    const csv = `${STAGED_HEADER}\n${columns.map((name) => row[name]).join(",")}\n`;

    const error = refusal(csv);

    expect(error.line).toBe(2);
    expect(error.message.startsWith(`trace line 2: ${column} ${rule}`)).toBe(true);
    expect(error.message.endsWith(`got '${value}'`)).toBe(true);
  });

  it("shows the refused value in the message, as the issue words it", () => {
    const error = refusal(
      `${HEADER}\n${Array.from({ length: 5 }, (_, index) => `${index + 1},5,2099-11-23T09:00:00Z,10,`).join("\n")}\n6,5,2099-11-23T09:00:00Z,abc,\n`,
    );

    expect(error.message).toBe("trace line 7: duration_s must be a non-negative number, got 'abc'");
    expect(error.line).toBe(7);
  });

  it.each([
    ["1,5,2099-11-23T09:00:00Z,10,,40,,build", "pipeline_id is set without a stage"],
    ["1,5,2099-11-23T09:00:00Z,10,,,0,build", "stage is set without a pipeline_id"],
  ])("refuses half a pipeline in a row: %s", (row, problem) => {
    expect(refusal(`${STAGED_HEADER}\n${row}\n`)).toMatchObject({
      line: 2,
      message: `trace line 2: ${problem}`,
    });
  });

  it.each([
    [`${HEADER},stage`, "columns pipeline_id and stage come together, or neither"],
    [`${HEADER},pipeline_id`, "columns pipeline_id and stage come together, or neither"],
    [
      `${HEADER},runner`,
      "unknown column 'runner' (columns: job_id, project_id, created_at, duration_s, tags, pipeline_id, stage, name)",
    ],
    ["job_id,project_id,created_at,duration_s", "missing column 'tags'"],
    [`${HEADER},tags`, "column 'tags' appears twice"],
  ])("refuses the header %s", (header, problem) => {
    expect(refusal(`${header}\n`)).toMatchObject({ line: 1, message: `trace line 1: ${problem}` });
  });

  it("refuses a row with more or fewer fields than the header", () => {
    const error = refusal(`${HEADER}\n1,5,2099-11-23T09:00:00Z,10,,extra\n`);

    expect(error).toMatchObject({
      line: 2,
      message: "trace line 2: expected 5 fields, as in the header, got 6",
    });
  });

  it("refuses broken quoting, at the line the problem is on", () => {
    expect(refusal(`${HEADER}\n1,5,2099-11-23T09:00:00Z,10,"docker\n\n`)).toMatchObject({
      line: 2,
      message: "trace line 2: a quoted field is never closed",
    });
    expect(refusal(`${HEADER}\n1,5,2099-11-23T09:00:00Z,10,"docker"x\n`).line).toBe(2);
    expect(refusal(`${HEADER}\n1,5,2099-11-23T09:00:00Z,10,dock"er\n`).line).toBe(2);
  });

  it("counts the lines of a quoted line break, so later rows keep their line numbers", () => {
    const csv = `${STAGED_HEADER}\n1,5,2099-11-23T09:00:00Z,10,,40,0,"two\nlines"\n2,5,2099-11-23T09:00:00Z,x,,40,0,b\n`;

    expect(refusal(csv).line).toBe(4);
  });

  it.each([
    ["", 1, "the trace is empty: it needs the header job_id,project_id,created_at,duration_s,tags"],
    [
      "\n",
      1,
      "the trace is empty: it needs the header job_id,project_id,created_at,duration_s,tags",
    ],
    [`${HEADER}\n`, 2, "the trace has no jobs"],
    [`${HEADER}\n\n`, 3, "the trace has no jobs"],
  ])("refuses an empty trace: %j", (csv, line, problem) => {
    expect(refusal(csv)).toMatchObject({ line, message: `trace line ${line}: ${problem}` });
  });

  it("skips a byte-order mark and blank lines", () => {
    expect(parseTrace(`\uFEFF${HEADER}\n\n1,5,2099-11-23T09:00:00Z,10,\n\n`)).toHaveLength(1);
  });
});

describe("formatTrace", () => {
  const staged: TraceJob[] = [
    {
      jobId: 2,
      projectId: 5,
      createdAt: new Date("2099-11-23T09:00:00.123Z"),
      durationS: 60,
      tags: ["docker", "amd64"],
      pipelineId: 40,
      stage: 1,
      name: 'rspec "fast", part 1/2',
    },
    {
      jobId: 1,
      projectId: 5,
      createdAt: new Date("2099-11-23T09:00:00Z"),
      durationS: 10,
      tags: [],
    },
  ];

  it("writes every column when a job has a pipeline, oldest first, quoting what needs it", () => {
    expect(formatTrace(staged)).toBe(
      [
        STAGED_HEADER,
        "1,5,2099-11-23T09:00:00Z,10,,,,",
        '2,5,2099-11-23T09:00:00.123Z,60,docker;amd64,40,1,"rspec ""fast"", part 1/2"',
        "",
      ].join("\n"),
    );
  });

  it("writes the five required columns when no job has a pipeline", () => {
    expect(formatTrace([staged[1]!])).toBe(`${HEADER}\n1,5,2099-11-23T09:00:00Z,10,\n`);
  });

  it("writes what parseTrace reads back", () => {
    const jobs = parseTrace(formatTrace(staged));

    expect(jobs).toEqual([staged[1], staged[0]]);
    expect(formatTrace(jobs)).toBe(formatTrace(staged));
  });
});
