import type { ComputeInstance } from "../ports/compute";
import type { Market, RunnerRecord } from "./runner-record";

/**
 * Which record an instance belongs to when no live record names it: a launch whose invocation died
 * after CreateFleet leaves its records without their instances until the scaler resumes it (about
 * a minute), and EC2's events for those instances, spot warnings among them, must still find their
 * runner.
 *
 * The facts are the ones the resumed launch pairs them by (launch-runner.ts): every instance
 * carries its launch's tag, and a launch returns its instances in a fixed order, by market tried
 * (spot before on-demand, in every order a pool may have) then by instance id; the runner at
 * `launchIndex` gets the instance at that place. EC2 no longer lists a terminated instance, and a
 * launch may have got fewer instances than it asked for: with such gaps an instance's place is
 * known only within a range, narrowed by the records (live, or gone) that name their instance.
 */
export type InstanceOwner =
  | { readonly kind: "owner"; readonly runner: RunnerRecord; readonly instance: ComputeInstance }
  /** No live record can own it: not ours, its runner gone, or a place no runner joined. */
  | { readonly kind: "none" }
  /** More than one place fits: the live records that may own it, and whether no record may. */
  | {
      readonly kind: "ambiguous";
      readonly candidates: readonly RunnerRecord[];
      readonly maybeNone: boolean;
      readonly instance: ComputeInstance;
    };

/** States in which a record owns no instance: not part of a launch yet, or gone. */
const OWNS_NONE: ReadonlySet<string> = new Set(["reserved", "registered", "gone"]);

/** A record from before launches were shared is a launch of its own, under its own name. */
const launchOf = (runner: RunnerRecord) => ({
  id: runner.launchId ?? runner.name,
  index: runner.launchIndex ?? 0,
  size: runner.launchSize ?? 1,
});

const MARKET_RANK: Readonly<Record<Market, number>> = { spot: 0, "on-demand": 1 };

/** A record that may own an instance it does not name. */
export const awaitsInstance = (runner: RunnerRecord): boolean =>
  runner.instanceId === undefined && !OWNS_NONE.has(runner.state);

/**
 * The live record `instanceId` belongs to, from the records and EC2's listing; pure. `records`
 * are the live ones, and any gone one that may name an instance of the launch.
 */
export const ownerOfUnrecordedInstance = (
  instanceId: string,
  records: readonly RunnerRecord[],
  instances: readonly ComputeInstance[],
): InstanceOwner => {
  const instance = instances.find((candidate) => candidate.instanceId === instanceId);
  if (!instance || records.some((runner) => runner.instanceId === instanceId))
    return { kind: "none" };
  // The launch's records: awaiting their instances, or naming theirs (a gone one only then).
  const members = records.filter(
    (runner) =>
      launchOf(runner).id === instance.launchId &&
      runner.pool === instance.pool &&
      (awaitsInstance(runner) || runner.instanceId !== undefined),
  );
  if (!members.some(awaitsInstance)) return { kind: "none" };
  // The launch's instances known here, with their markets: EC2's, or a record's.
  const markets = new Map<string, Market>();
  for (const member of members)
    if (member.instanceId !== undefined && member.market !== undefined)
      markets.set(member.instanceId, member.market);
  for (const listed of instances)
    if (listed.launchId === instance.launchId && listed.pool === instance.pool)
      markets.set(listed.instanceId, listed.market);
  const order = [...markets]
    .sort(
      ([idA, marketA], [idB, marketB]) =>
        MARKET_RANK[marketA] - MARKET_RANK[marketB] || idA.localeCompare(idB),
    )
    .map(([id]) => id);
  const position = order.indexOf(instanceId);
  const size = Math.max(order.length, ...members.map((runner) => launchOf(runner).size));
  // Instances of the launch not known here (terminated, or never made) may come before it...
  let low = position;
  let high = position + (size - order.length);
  // ...but not before, or after, those whose place a record gives.
  const placeOf = new Map(
    members.flatMap((runner) =>
      runner.instanceId === undefined ? [] : [[runner.instanceId, launchOf(runner).index]],
    ),
  );
  order.forEach((id, at) => {
    const place = placeOf.get(id);
    if (place === undefined || at === position) return;
    if (at < position) low = Math.max(low, place + (position - at));
    else high = Math.min(high, place - (at - position));
  });
  const byPlace = new Map(members.map((runner) => [launchOf(runner).index, runner]));
  const candidates: RunnerRecord[] = [];
  let maybeNone = false;
  for (let place = low; place <= high; place++) {
    const holder = byPlace.get(place);
    // A record that names its own instance does not own this one.
    if (holder === undefined) maybeNone = true;
    else if (awaitsInstance(holder)) candidates.push(holder);
  }
  const [only] = candidates;
  if (!only) return { kind: "none" };
  if (candidates.length === 1 && !maybeNone) return { kind: "owner", runner: only, instance };
  return { kind: "ambiguous", candidates, maybeNone, instance };
};
