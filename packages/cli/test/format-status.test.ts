import type { ControlPlaneStatus } from "@ger/core/types";
import { describe, expect, it } from "vitest";
import { formatStatus, printable } from "../src/format-status";

const statusWithJob = (name: string): ControlPlaneStatus => ({
  generatedAt: "2099-11-22T10:00:00.000Z",
  jobs: [
    {
      id: 7,
      projectId: 42,
      status: "pending",
      name,
      updatedAt: "2099-11-22T10:00:00.000Z",
    } as ControlPlaneStatus["jobs"][number],
  ],
  jobsByStatus: { pending: 1 },
  runners: [],
  registrations: [],
  pools: [],
  pendingUnresolved: 1,
  pendingUnroutable: 0,
  slotsInUse: 0,
  maxInstances: 20,
  activeProjects: [],
});

describe("status on a terminal", () => {
  it("prints a hostile job name's escape sequences as text, never as control characters", () => {
    const hostile = "build\u001b[2J\u001b]0;owned\u0007\r\u202edeliver";

    const printed = formatStatus(statusWithJob(hostile), "test");

    // biome-ignore lint/suspicious/noControlCharactersInRegex: none may reach the terminal.
    expect(printed).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(printed).toContain("build\\u001b[2J\\u001b]0;owned\\u0007\\u000d\\u202edeliver");
  });

  it("leaves ordinary names alone, accents and emoji included", () => {
    expect(printable("test:unit – Zürich 🚀")).toBe("test:unit – Zürich 🚀");
  });
});
