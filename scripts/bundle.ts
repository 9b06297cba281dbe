import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";

const ROOT = resolve(import.meta.dirname, "..");

/** CommonJS packages the server loads with a dynamic `import()`. */
const DYNAMIC_CJS = ["undici"];

/** What the MCP Bundle holds beside the server: the manifest, the README, and package.json (src/version.ts reads it from `../`). */
const STAGED_FILES = ["manifest.json", "package.json", "README.md"];

/**
 * Source maps beside the chunks (`linked`: a `.js.map` per chunk, read only under
 * `node --enable-source-maps`), or none. Never inline: a map inside a chunk is part of the
 * source text node reads and V8 keeps, which cost the server 19 MB of RSS after 100 paid
 * calls (110 → 90 MB, issue 20).
 */
export type BundleMaps = "linked" | "none";

/**
 * Bundles the server (src/index.ts) and the HTML worker into `outdir`, flat: the converter
 * starts the worker at `./htmlWorker.js` beside its own chunk, so every chunk must sit there.
 * Splitting keeps each dynamic `import()` (CLI commands, undici, the Redis store, Solana,
 * the UI pages) a chunk of its own, loaded only when used.
 */
export async function buildBundle(outdir: string, maps: BundleMaps = "linked"): Promise<void> {
  // The folder is emptied first (no stale chunks): never the project or a folder holding it.
  if (ROOT.startsWith(resolve(outdir))) throw new Error(`bundle: refusing to empty ${outdir}, which holds the project`);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: { index: "src/index.ts", htmlWorker: "src/content/htmlWorker.ts" },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    chunkNames: "[name]-[hash]",
    // Without the sources' text: `node --enable-source-maps` names src/ lines in stack traces.
    sourcemap: maps === "linked" ? "linked" : false,
    sourcesContent: false,
    // Identifiers kept: a stack trace read without the maps still names the functions.
    minifyWhitespace: true,
    minifySyntax: true,
    // CommonJS dependencies call require() for node's built-ins; an ES module has none of its own.
    banner: { js: 'import { createRequire as __bundleCreateRequire } from "node:module"; const require = __bundleCreateRequire(import.meta.url);' },
    plugins: [namedExportsForDynamicCjs(DYNAMIC_CJS)],
    logLevel: "warning",
  });
}

/**
 * With splitting, esbuild turns `import("undici")` into a chunk that exports only `default`,
 * where node would also give the named exports it reads from the CommonJS source. So each such
 * import gets a module naming them, listed from the package itself at build time.
 */
function namedExportsForDynamicCjs(packages: string[]): Plugin {
  const filter = new RegExp(`^(${packages.join("|")})$`);
  const requireFromRoot = createRequire(join(ROOT, "package.json"));
  return {
    name: "named-exports-for-dynamic-cjs",
    setup(b) {
      b.onResolve({ filter }, (args) => (args.kind === "dynamic-import" ? { path: args.path, namespace: "dynamic-cjs" } : undefined));
      b.onLoad({ filter: /.*/, namespace: "dynamic-cjs" }, (args) => {
        const names = Object.keys(requireFromRoot(args.path) as object).filter((n) => n !== "default" && /^[A-Za-z_$][\w$]*$/.test(n));
        const contents = `import m from ${JSON.stringify(args.path)};\nexport const { ${names.join(", ")} } = m;\nexport default m;\n`;
        return { contents, loader: "js", resolveDir: ROOT };
      });
    },
  };
}

/**
 * Stages the folder `mcpb pack` zips: the bundle in `bundle/`, as in the npm package (the
 * manifest's entry point is the package's bin), plus the files above; no node_modules. Without maps: a map per chunk would double its file count
 * past the 100 the MCP Bundle is allowed (the npm package ships them).
 */
export async function stageMcpb(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await buildBundle(join(dir, "bundle"), "none");
  for (const file of STAGED_FILES) copyFileSync(join(ROOT, file), join(dir, file));
}

const [flag, target] = process.argv.slice(2);
if (import.meta.filename === process.argv[1]) {
  if (flag === "--stage" && target) await stageMcpb(resolve(target));
  else await buildBundle(resolve(flag ?? join(ROOT, "bundle")));
}
