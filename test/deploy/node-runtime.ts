import { createCipheriv } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join } from "node:path";
import { type BuildFailure, build, type Message, type Plugin } from "esbuild";
import { ESM_BANNER } from "./esm-banner";

/*
 * Runtime.Build for Node functions as SST 4.17.1's CLI answers it (pkg/runtime/runtime.go,
 * pkg/runtime/node/build.go): find the handler's file, bundle it with esbuild into
 * <work>/artifacts/<function>-src, write the links encrypted beside it. What this project does not
 * use (a prebuilt bundle, copyFiles, nodejs.install, other esbuild settings) is refused by name,
 * so a new setting fails here rather than bundling differently from a deploy.
 */

/** What SST's Function component sends (platform/src/components/aws/function.ts, buildInput). */
export interface BuildInput {
  readonly functionID: string;
  readonly handler: string;
  readonly runtime: string;
  readonly bundle?: string;
  readonly encryptionKey?: string;
  readonly links?: Record<string, unknown>;
  readonly copyFiles?: readonly unknown[];
  readonly properties?: Record<string, unknown>;
  readonly dev?: boolean;
  readonly isContainer?: boolean;
}

export interface BuildOutput {
  readonly out: string;
  readonly handler: string;
  readonly errors: string[];
  readonly sourcemaps: string[];
}

const NODE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

const TARGETS: Readonly<Record<string, string>> = {
  "nodejs24.x": "es2024",
  "nodejs22.x": "es2023",
  "nodejs20.x": "es2023",
};

/** The `nodejs` settings (and the architecture SST adds) this harness builds as SST does. */
const SUPPORTED_PROPERTIES = new Set(["format", "minify", "architecture"]);

/** The handler's source file: `dir/file.export`, tried with each of Node's extensions. */
const handlerFile = (root: string, handler: string) => {
  const base = basename(handler).split(".").slice(0, -1).join(".");
  return NODE_EXTENSIONS.map((extension) => join(dirname(handler), base + extension))
    .map((file) => (isAbsolute(file) ? file : join(root, file)))
    .find((file) => existsSync(file));
};

const refuseWhatDiffers = (input: BuildInput) => {
  const unsupported = [
    ...(input.bundle ? ["bundle"] : []),
    ...((input.copyFiles?.length ?? 0) > 0 ? ["copyFiles"] : []),
    ...(input.dev ? ["dev"] : []),
    ...(input.isContainer ? ["a container image"] : []),
    ...(TARGETS[input.runtime] ? [] : [`runtime ${input.runtime}`]),
    ...Object.keys(input.properties ?? {})
      .filter((key) => !SUPPORTED_PROPERTIES.has(key))
      .map((key) => `nodejs.${key}`),
  ];
  if (unsupported.length > 0)
    throw new Error(
      `${input.functionID}: the deploy harness does not build ${unsupported.join(", ")} as SST does (test/deploy/node-runtime.ts)`,
    );
};

/** SST's error text: the message and where. */
const errorText = ({ text, location }: Message) =>
  location ? `${text} ${location.file}:${location.line}:${location.column}` : text;

/** Go's gcm.Seal with a zero nonce: ciphertext, then the tag (SST_KEY decrypts it at runtime). */
const writeEncryptedLinks = (out: string, key: string, links: Record<string, unknown>) => {
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(key, "base64"), Buffer.alloc(12));
  const sealed = [cipher.update(JSON.stringify(links)), cipher.final(), cipher.getAuthTag()];
  writeFileSync(join(out, "resource.enc"), Buffer.concat(sealed));
};

export const buildNodeFunction = async (
  input: BuildInput,
  where: { readonly root: string; readonly work: string; readonly plugins: readonly Plugin[] },
): Promise<BuildOutput> => {
  refuseWhatDiffers(input);
  const file = handlerFile(where.root, input.handler);
  if (!file) throw new Error(`Handler not found: ${input.handler}`);
  const out = join(where.work, "artifacts", `${input.functionID}-src`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  const esm = input.properties?.format !== "cjs";
  const minify = input.properties?.minify === true;
  let errors: string[] = [];
  let sourcemaps: string[] = [];
  try {
    const result = await build({
      absWorkingDir: where.root,
      entryPoints: [file],
      platform: "node",
      external: ["sharp", "pg-native"],
      keepNames: true,
      bundle: true,
      metafile: true,
      outfile: join(out, `bundle${esm ? ".mjs" : ".cjs"}`),
      sourcemap: "linked",
      write: true,
      format: esm ? "esm" : "cjs",
      target: TARGETS[input.runtime],
      mainFields: esm ? ["module", "main"] : ["main"],
      banner: { js: esm ? ESM_BANNER : "" },
      minifyWhitespace: minify,
      minifySyntax: minify,
      minifyIdentifiers: minify,
      plugins: [...where.plugins],
      logLevel: "silent",
    });
    sourcemaps = Object.keys(result.metafile.outputs)
      .filter((output) => output.endsWith(".map"))
      .map((output) => (isAbsolute(output) ? output : join(where.root, output)));
  } catch (error) {
    errors = ((error as BuildFailure).errors ?? [{ text: String(error) }]).map(errorText);
  }
  if (input.encryptionKey) writeEncryptedLinks(out, input.encryptionKey, input.links ?? {});
  return { out, handler: `bundle${extname(input.handler)}`, errors, sourcemaps };
};
