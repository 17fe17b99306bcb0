import type { ConnectedHooks } from "../../ports/connected-hooks";
import type { HookOwner } from "../../ports/gitlab-setup";

const projectsFirstThenById = (a: HookOwner, b: HookOwner) =>
  a.kind === b.kind ? a.id - b.id : a.kind === "project" ? -1 : 1;

export class InMemoryConnectedHooks implements ConnectedHooks {
  private readonly owners = new Map<string, HookOwner>();

  async list(): Promise<HookOwner[]> {
    return [...this.owners.values()].sort(projectsFirstThenById);
  }

  async add(owner: HookOwner): Promise<void> {
    this.owners.set(`${owner.kind}#${owner.id}`, { ...owner });
  }

  async remove(owner: HookOwner): Promise<void> {
    this.owners.delete(`${owner.kind}#${owner.id}`);
  }
}
