import { ensurePlatform } from "./harness";

/** SST's platform, installed once before the test files that build against it run in parallel. */
export default function setup() {
  ensurePlatform();
}
