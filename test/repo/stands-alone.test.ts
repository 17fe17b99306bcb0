import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
// What the folder beside the checkout holds (payloads, notes); spelled in parts so that this
// file does not find itself. packages/functions/src/shared/ is the functions' own folder.
const SIBLING_FOLDER = new RegExp(
  ["(\\.\\./)+", "shared/", "(fixtures|hooks|README|DESIGN|STYLE)"].join(""),
);

describe("a user's clone stands alone", () => {
  it("reads nothing beside the repository: no file names the shared folder next to the checkout", () => {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
      cwd: ROOT,
      encoding: "utf8",
    })
      .split("\n")
      .filter((file) => file && !file.endsWith("package-lock.json"));

    const offenders = files.filter((file) => {
      try {
        return SIBLING_FOLDER.test(readFileSync(`${ROOT}${file}`, "utf8"));
      } catch {
        return false; // deleted in the working tree
      }
    });

    expect(offenders).toEqual([]);
  });
});
