import { awsCalls } from "./aws-calls";
import { shellQuote } from "./shell-quote";

/** The deployment's log group of runner logs: one stream per instance, named by its id. */
export const runnerLogGroupName = (deployment: string): string =>
  `/gitlab-runner-autoscaler/${deployment}/runners`;

export const LOG_SHIPPER_PATH = "/usr/local/sbin/ephemeral-runner-logs";
/** The first ship, after boot; then every LOG_SHIP_INTERVAL_S while the instance lives. */
export const LOG_SHIP_FIRST_S = 10;
export const LOG_SHIP_INTERVAL_S = 20;

// New lines since the last ship, as PutLogEvents batches (at most 10,000 events and 1 MiB, each
// event's bytes plus 26, counted; an event at most 256 KiB), one file each; the next position is
// kept aside until every batch is in. Sources: the journal of the runner's unit (the script and
// gitlab-runner) and cloud-init's output.
const batcher = `import json, os, subprocess, sys, time
state, group, stream, root = sys.argv[1:5]
try:
    with open(os.path.join(state, "position")) as f:
        position = json.load(f)
except (OSError, ValueError):
    position = {}
events = []
command = ["journalctl", "-u", "ephemeral-runner", "-o", "json", "--no-pager"]
if position.get("cursor"):
    command += ["--after-cursor", position["cursor"]]
try:
    journal = subprocess.run(command, capture_output=True, text=True).stdout
except OSError:
    journal = ""
for line in journal.splitlines():
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    message = entry.get("MESSAGE")
    if isinstance(message, list):
        message = bytes(message).decode("utf-8", "replace")
    position["cursor"] = entry.get("__CURSOR", position.get("cursor"))
    if message:
        events.append((int(entry["__REALTIME_TIMESTAMP"]) // 1000, "runner: " + message))
now = int(time.time() * 1000)
offset = position.get("cloud-init", 0)
try:
    with open(root + "/var/log/cloud-init-output.log", "rb") as f:
        f.seek(offset)
        chunk = f.read()
except OSError:
    chunk = b""
complete = chunk[: chunk.rfind(b"\\n") + 1]
position["cloud-init"] = offset + len(complete)
for line in complete.decode("utf-8", "replace").splitlines():
    if line:
        events.append((now, "cloud-init: " + line))
events.sort(key=lambda event: event[0])
batches, batch, size = [], [], 0
for timestamp, message in events:
    message = message.encode()[:250_000].decode("utf-8", "ignore")
    cost = len(message.encode()) + 26
    if batch and (len(batch) == 10_000 or size + cost > 1_000_000):
        batches.append(batch)
        batch, size = [], 0
    batch.append({"timestamp": timestamp, "message": message})
    size += cost
if batch:
    batches.append(batch)
for number, events in enumerate(batches):
    with open(os.path.join(state, "batch-%06d.json" % number), "w") as f:
        json.dump({"logGroupName": group, "logStreamName": stream, "logEvents": events}, f)
with open(os.path.join(state, "position.next"), "w") as f:
    json.dump(position, f)
`;

/**
 * The instance's log shipper: sends what its runner's unit and cloud-init wrote since the last
 * run to its own stream, so a runner that failed to boot can be read after its instance is gone.
 * Run by a timer while the instance lives and once more by the script's exit; one at a time.
 */
export const logShipperScript = (logGroup: string): string => `#!/bin/bash
# Ships this runner's boot and job logs to CloudWatch Logs (${logGroup}).
set -euo pipefail
RUNNER_ROOT=\${RUNNER_ROOT:-}
LOG_GROUP=${shellQuote(logGroup)}
STATE=$RUNNER_ROOT/var/lib/ephemeral-runner-logs
install -d -m 0700 "$STATE"
exec 9>"$STATE/lock"
flock 9

${awsCalls}
logs() { aws_json logs "Logs_20140328.$1" "$2"; }

if [[ ! -e $STATE/stream ]]; then
  # Already there (an earlier run got no answer) is as good as made.
  logs CreateLogStream "{\\"logGroupName\\":\\"$LOG_GROUP\\",\\"logStreamName\\":\\"$INSTANCE_ID\\"}" >/dev/null || true
  touch "$STATE/stream"
fi
rm -f "$STATE"/batch-*.json
python3 - "$STATE" "$LOG_GROUP" "$INSTANCE_ID" "$RUNNER_ROOT" <<'BATCHER'
${batcher}BATCHER
for batch in "$STATE"/batch-*.json; do
  [[ -e $batch ]] || continue
  logs PutLogEvents "@$batch" >/dev/null
done
mv "$STATE/position.next" "$STATE/position"
`;
