import { describe, expect, it } from "vitest";
import { parseGitlabTimestamp } from "../src/index";

describe("parseGitlabTimestamp", () => {
  it.each([
    ["2021-02-23T02:41:37.886Z", "2021-02-23T02:41:37.886Z"],
    ["2021-02-23T02:41:37Z", "2021-02-23T02:41:37.000Z"],
    ["2021-02-23T03:41:37+01:00", "2021-02-23T02:41:37.000Z"],
    ["2023-01-10 13:50:02 UTC", "2023-01-10T13:50:02.000Z"],
    ["2023-01-10 13:50:02.123 UTC", "2023-01-10T13:50:02.123Z"],
  ])("reads %s", (input, expected) => {
    expect(parseGitlabTimestamp(input)).toBe(expected);
  });

  it.each([
    "",
    "yesterday",
    "2023-01-10",
    "2023-13-45T99:00:00Z",
    "1675000000",
    "2023-01-10 13:50:02 CET",
  ])("refuses %j", (input) => {
    expect(parseGitlabTimestamp(input)).toBeUndefined();
  });
});
