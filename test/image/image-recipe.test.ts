import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const IMAGE = fileURLToPath(new URL("../../image/", import.meta.url));
const TEMPLATE = join(IMAGE, "runner-ami.pkr.hcl");
const PROVISION = join(IMAGE, "provision.sh");
const template = await readFile(TEMPLATE, "utf8");
const provision = await readFile(PROVISION, "utf8");

// No telemetry call home (HashiCorp's checkpoint) from a test.
const packerEnv = { ...process.env, CHECKPOINT_DISABLE: "1" };

/** Packer's version ([major, minor]), or undefined when no packer is on PATH. */
const packerVersion = ((): [number, number] | undefined => {
  try {
    const out = execFileSync("packer", ["version"], { encoding: "utf8", env: packerEnv });
    const match = /v?(\d+)\.(\d+)\.\d+/.exec(out);
    return match ? [Number(match[1]), Number(match[2])] : undefined;
  } catch {
    return undefined;
  }
})();

/** The body of the template's first block that starts with `header` (e.g. `source "amazon-ebs"`). */
const block = (header: string): string => {
  const start = template.indexOf(header);
  expect(start, `${header} in the template`).toBeGreaterThanOrEqual(0);
  const end = template.indexOf("\n}\n", start);
  return template.slice(start, end);
};

const temporaryDirs: string[] = [];
afterAll(async () => {
  await Promise.all(temporaryDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("the baked-image recipe (image/)", () => {
  it("provisions with a script that shellcheck finds clean", async () => {
    try {
      await run("shellcheck", ["--shell=bash", "--severity=style", PROVISION]);
    } catch (error) {
      const failure = error as { code?: string; stdout?: string; stderr?: string };
      if (failure.code === "ENOENT")
        throw new Error("shellcheck is not installed: apt-get install shellcheck");
      throw new Error(
        `shellcheck rejected image/provision.sh:\n${failure.stdout}${failure.stderr}`,
      );
    }
  });

  // The template wants Packer 1.10+. Debian bookworm's packer (1.6.6, what CI installs) predates
  // even the packer { required_plugins } block (1.7): an older packer checks a copy without that
  // block. A full `packer validate` would need the amazon plugin (packer init, online) and 1.6.6
  // lacks functions the template uses (regex), so it is the syntax; the references a syntax check
  // cannot see are checked below.
  it("is a template `packer validate -syntax-only` and `packer fmt` accept", async () => {
    // A real judge, as shellcheck and cloud-init are: CI installs it (.ci/run).
    if (!packerVersion) throw new Error("packer is not installed: apt-get install packer");
    const [major, minor] = packerVersion;
    let file = TEMPLATE;
    if (major === 1 && minor < 10) {
      const withoutPackerBlock = template.replace(/^packer \{\n[\s\S]*?^\}\n/m, "");
      expect(withoutPackerBlock).not.toContain("required_plugins");
      const dir = await mkdtemp(join(tmpdir(), "runner-ami-"));
      temporaryDirs.push(dir);
      file = join(dir, "runner-ami.pkr.hcl");
      await writeFile(file, withoutPackerBlock);
    }

    const { stdout } = await run("packer", ["validate", "-syntax-only", file], {
      env: packerEnv,
    }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`packer rejected the template:\n${error.stdout}${error.stderr}`);
    });

    expect(stdout).toContain("Syntax-only check passed");
    // And laid out as `packer fmt` writes it (exit status 3 and the diff otherwise).
    await run("packer", ["fmt", "-check", "-diff", TEMPLATE], { env: packerEnv }).catch(
      (error: { stdout?: string }) => {
        throw new Error(`packer fmt would change the template:\n${error.stdout}`);
      },
    );
  });

  it("needs Packer 1.10+ with the amazon plugin", () => {
    const packer = block("packer {");

    expect(packer).toMatch(/required_version\s*=\s*">= 1\.1\d/);
    expect(packer).toMatch(/amazon = \{\s*source\s*=\s*"github.com\/hashicorp\/amazon"/);
  });

  it("declares every variable and local it uses", () => {
    const declared = (pattern: RegExp) => new Set([...template.matchAll(pattern)].map((m) => m[1]));
    const used = (pattern: RegExp) => [
      ...new Set([...template.matchAll(pattern)].map((m) => m[1])),
    ];
    const variables = declared(/^variable "(\w+)"/gm);
    const locals = new Set([...block("locals {").matchAll(/^ {2}(\w+)\s*=/gm)].map((m) => m[1]));

    expect(used(/\bvar\.(\w+)/g).filter((name) => !variables.has(name))).toEqual([]);
    expect(used(/\blocal\.(\w+)/g).filter((name) => !locals.has(name))).toEqual([]);
    for (const name of [
      "region",
      "architecture",
      "gpu",
      "gitlab_runner_version",
      "subnet_id",
      "ami_name",
    ])
      expect(variables).toContain(name);
  });

  it("builds from Canonical's Ubuntu 24.04 for the chosen architecture", () => {
    const source = block('source "amazon-ebs" "runner"');

    expect(source).toMatch(/owners\s*=\s*\["099720109477"\]/);
    expect(source).toMatch(/most_recent\s*=\s*true/);
    expect(source).toMatch(
      /"ubuntu\/images\/hvm-ssd-gp3\/ubuntu-noble-24\.04-\$\{local\.ubuntu_arch\}-server-\*"/,
    );
    expect(source).toMatch(/architecture\s*=\s*var\.architecture/);
    expect(template).toMatch(/contains\(\["arm64", "x86_64"\], var\.architecture\)/);
    expect(source).toMatch(/instance_type\s*=\s*local\.instance_type/);
    expect(block("locals {")).toMatch(/var\.architecture == "arm64" \? "t4g\.\w+" : "t3\.\w+"/);
  });

  it("pins a gitlab-runner release by default", () => {
    expect(block('variable "gitlab_runner_version"')).toMatch(/default\s*=\s*"1\d\.\d+\.\d+"/);
  });

  it("requires IMDSv2 and encrypts a gp3 root volume", () => {
    const source = block('source "amazon-ebs" "runner"');
    const metadata = /metadata_options \{[\s\S]*?\n {2}\}/.exec(source)?.[0] ?? "";
    const root = /launch_block_device_mappings \{[\s\S]*?\n {2}\}/.exec(source)?.[0] ?? "";

    expect(metadata).toMatch(/http_tokens\s*=\s*"required"/);
    expect(metadata).toMatch(/http_endpoint\s*=\s*"enabled"/);
    expect(source).toMatch(/imds_support\s*=\s*"v2\.0"/);
    // The launch template's root device (infra/runners.ts) is Ubuntu's /dev/sda1.
    expect(root).toMatch(/device_name\s*=\s*"\/dev\/sda1"/);
    expect(root).toMatch(/encrypted\s*=\s*true/);
    expect(root).toMatch(/volume_type\s*=\s*"gp3"/);
  });

  it("tags the AMI with the recipe and the versions it holds", () => {
    const tags =
      /\n {2}tags = \{[\s\S]*?\n {2}\}/.exec(block('source "amazon-ebs" "runner"'))?.[0] ?? "";

    expect(tags).toMatch(/Recipe\s*=\s*"image\/runner-ami\.pkr\.hcl"/);
    expect(tags).toMatch(/GitLabRunnerVersion\s*=\s*var\.gitlab_runner_version/);
    expect(tags).toMatch(/NvidiaDriver\s*=\s*var\.gpu \?/);
    expect(tags).toContain("{{ .SourceAMI }}");
  });

  it("runs provision.sh as root with the recipe's choices", () => {
    const provisioner = block('provisioner "shell"');

    expect(provisioner).toMatch(/script\s*=\s*"\$\{path\.root\}\/provision\.sh"/);
    expect(provisioner).toContain("sudo env {{ .Vars }} {{ .Path }}");
    for (const name of ["ARCHITECTURE", "GPU", "GITLAB_RUNNER_VERSION"]) {
      expect(provisioner).toContain(`"${name}=\${var.`);
      expect(provision).toContain(`\${${name}:`);
    }
  });

  it("installs what the user-data would otherwise install at boot", () => {
    expect(provision).toMatch(/^set -euo pipefail$/m);
    expect(provision).toMatch(
      /apt_get install [^\n]*\\\n\s+docker\.io amazon-ecr-credential-helper/,
    );
    for (const pkg of ["ca-certificates", "curl", "python3"])
      expect(provision).toContain(` ${pkg} `);
    expect(provision).toContain("systemctl enable docker.service");
    // Where the user-data looks for it (command -v gitlab-runner).
    expect(provision).toMatch(/install -m 0755 [^\n]* \/usr\/local\/bin\/gitlab-runner$/m);
  });

  it("downloads the pinned gitlab-runner and checks it against the release's sha256", () => {
    expect(provision).toContain(
      'release="https://gitlab-runner-downloads.s3.amazonaws.com/v$GITLAB_RUNNER_VERSION"',
    );
    expect(provision).toContain('binary="binaries/gitlab-runner-linux-$runner_arch"');
    expect(provision).toContain('"$release/release.sha256"');
    expect(provision).toMatch(/sha256sum --check --strict/);
    // The check comes before the install.
    expect(provision.indexOf("sha256sum --check")).toBeLessThan(
      provision.indexOf("/usr/local/bin/gitlab-runner\n"),
    );
  });

  it("bakes the NVIDIA driver and Docker's nvidia runtime only with GPU=true, on x86_64", () => {
    const gpu = provision.slice(provision.indexOf("if [[ $GPU == true ]]; then"));

    expect(provision).toContain("[[ $GPU == false || $machine == x86_64 ]] || die");
    expect(gpu).toContain('"nvidia-headless-no-dkms-$NVIDIA_DRIVER"');
    expect(gpu).toContain("apt_get install nvidia-container-toolkit");
    expect(gpu).toContain("nvidia-ctk runtime configure --runtime=docker");
    expect(block('variable "gpu"')).toMatch(/type\s*=\s*bool[\s\S]*default\s*=\s*false/);
  });

  it("leaves no runner registration behind and resets cloud-init for the instances' user-data", () => {
    expect(provision).not.toMatch(/gitlab-runner (register|install)\b/);
    expect(provision).toMatch(/die "runner configs left behind/);
    expect(provision).toContain("apt_get clean");
    // Last, so that nothing after it runs cloud-init again.
    const clean = provision.indexOf("cloud-init clean --logs");
    expect(clean).toBeGreaterThan(provision.indexOf("apt_get clean"));
    expect(provision.slice(clean).trim().split("\n")).toEqual([
      "cloud-init clean --logs --machine-id",
      "sync",
    ]);
  });
});
