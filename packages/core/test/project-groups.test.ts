import { describe, expect, it } from "vitest";
import { SUNDAY_MORNING } from "../../../test/support/clock";
import {
  HIDDEN_PROJECT_TTL_SECONDS,
  PROJECT_GROUPS_KEPT,
  PROJECT_GROUPS_TTL_SECONDS,
  ProjectGroups,
} from "../src/scaler/project-groups";

const at = (seconds: number) => new Date(SUNDAY_MORNING.getTime() + seconds * 1000);

describe("ProjectGroups", () => {
  it("believes a project's groups for an hour, and a project GitLab hid for minutes", async () => {
    const groups = new ProjectGroups();
    await groups.remember(5, at(0), Promise.resolve([42]));
    await groups.remember(77, at(0), Promise.resolve(undefined));

    expect(await groups.known(5, at(PROJECT_GROUPS_TTL_SECONDS - 1))).toEqual([42]);
    expect(groups.known(5, at(PROJECT_GROUPS_TTL_SECONDS))).toBeUndefined();
    expect(groups.known(77, at(HIDDEN_PROJECT_TTL_SECONDS - 1))).toBeDefined();
    expect(groups.known(77, at(HIDDEN_PROJECT_TTL_SECONDS))).toBeUndefined();
  });

  it("forgets a failed read at once, so the next pass asks again", async () => {
    const groups = new ProjectGroups();
    const failed = groups.remember(5, at(0), Promise.reject(new Error("GitLab answered 503")));

    await expect(failed).rejects.toThrow("503");
    expect(groups.known(5, at(0))).toBeUndefined();
  });

  it(`keeps at most ${PROJECT_GROUPS_KEPT} projects, forgetting the oldest first`, async () => {
    const groups = new ProjectGroups();
    for (let projectId = 1; projectId <= PROJECT_GROUPS_KEPT + 1; projectId++)
      await groups.remember(projectId, at(projectId), Promise.resolve([42]));

    const now = at(PROJECT_GROUPS_KEPT + 1);
    expect(groups.known(1, now)).toBeUndefined();
    expect(await groups.known(2, now)).toEqual([42]);
    expect(await groups.known(PROJECT_GROUPS_KEPT + 1, now)).toEqual([42]);
  });
});
