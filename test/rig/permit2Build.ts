import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, posix } from "node:path";
import type { Hex } from "viem";
import { cachedBuild } from "./compile.js";

const require = createRequire(import.meta.url);

/** Uniswap's Permit2, compiled from the sources npm `@uniswap/v4-periphery` ships in lib/permit2. */
export interface Permit2Build {
  /** Creation code: CREATE2 with Uniswap's salt puts it at the canonical address only if identical. */
  initCode: Hex;
  /** Uniswap's CREATE2 salt, read from the project's own deploy script. */
  salt: Hex;
  /** Runtime code that Uniswap's `DeployPermit2` test helper etches (its immutables set for chain 31337). */
  expectedRuntime: Hex;
  /** Byte ranges of the runtime's immutables (EIP712's cached chain id and domain separator). */
  immutables: { start: number; length: number }[];
  /** Wall time of the solc run that produced this build (the cached value on a cache hit). */
  compileMs: number;
}

interface FoundryProfile {
  solc: string;
  viaIR: boolean;
  optimizerRuns: number;
  bytecodeHash: string;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<
      string,
      {
        evm: {
          bytecode: { object: string };
          deployedBytecode: { immutableReferences?: Record<string, { start: number; length: number }[]> };
        };
      }
    >
  >;
}

const PERMIT2_SOURCE = "src/Permit2.sol";

/**
 * Compiles Permit2 as Uniswap did: every file of the project's src/ (and what it imports) with the
 * settings of its foundry.toml and the exact solc it names. Cached like the rig's own contracts;
 * a cold compile takes about 8 s (via-IR, optimizer runs 1 000 000).
 */
export function buildPermit2(): Permit2Build {
  const root = permit2Root();
  const profile = readFoundryProfile(join(root, "foundry.toml"));
  const solcPackage = "solc-" + profile.solc;
  const solcVersion = (require(`${solcPackage}/package.json`) as { version: string }).version;
  if (solcVersion !== profile.solc) {
    throw new Error(`test rig: Permit2 needs solc ${profile.solc}, devDependency ${solcPackage} is ${solcVersion}`);
  }
  const remappings = readRemappings(join(root, "remappings.txt"));
  const sources = collectSources(root, remappings);
  const salt = readSalt(join(root, "script", "DeployPermit2.s.sol"));
  const expectedRuntime = readExpectedRuntime(join(root, "test", "utils", "DeployPermit2.sol"));
  const settings = {
    viaIR: profile.viaIR,
    optimizer: { enabled: true, runs: profile.optimizerRuns },
    metadata: { bytecodeHash: profile.bytecodeHash },
    remappings: remappings.map(([from, to]) => `${from}=${to}`),
    outputSelection: {
      [PERMIT2_SOURCE]: { Permit2: ["evm.bytecode.object", "evm.deployedBytecode.immutableReferences"] },
    },
  };

  return cachedBuild(
    { sources, settings, solcVersion, salt, expectedRuntime },
    (cached): cached is Permit2Build =>
      typeof cached === "object" &&
      cached !== null &&
      typeof (cached as Permit2Build).initCode === "string" &&
      Array.isArray((cached as Permit2Build).immutables),
    () => {
      const solc = require(solcPackage) as { compile(input: string): string };
      const started = Date.now();
      const output = JSON.parse(
        solc.compile(JSON.stringify({ language: "Solidity", sources, settings })),
      ) as SolcOutput;
      const compileMs = Date.now() - started;
      const errors = (output.errors ?? []).filter((e) => e.severity === "error");
      if (errors.length > 0) {
        throw new Error(`test rig: Permit2 failed to compile:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
      }
      const permit2 = output.contracts?.[PERMIT2_SOURCE]?.Permit2;
      if (!permit2) throw new Error("test rig: solc produced no Permit2 bytecode");
      const immutables = Object.values(permit2.evm.deployedBytecode.immutableReferences ?? {})
        .flat()
        .sort((a, b) => a.start - b.start);
      return { initCode: `0x${permit2.evm.bytecode.object}`, salt, expectedRuntime, immutables, compileMs };
    },
  );
}

function permit2Root(): string {
  try {
    return join(dirname(require.resolve("@uniswap/v4-periphery/package.json")), "lib", "permit2");
  } catch {
    throw new Error('test rig: Permit2 sources not found: install the devDependency "@uniswap/v4-periphery"');
  }
}

/** The [profile.default] keys that change the bytecode; a missing one is an error, not a guess. */
function readFoundryProfile(path: string): FoundryProfile {
  const text = readFileSync(path, "utf8");
  const section = /\[profile\.default\]([\s\S]*?)(?:\n\[|$)/.exec(text)?.[1] ?? "";
  const value = (key: string): string => {
    const m = new RegExp(`^\\s*${key}\\s*=\\s*"?([^"\\n]+?)"?\\s*$`, "m").exec(section);
    if (!m?.[1]) throw new Error(`test rig: ${path} has no ${key} in [profile.default]`);
    return m[1];
  };
  if (value("optimizer") !== "true") throw new Error(`test rig: ${path} no longer enables the optimizer`);
  return {
    solc: value("solc"),
    viaIR: value("via_ir") === "true",
    optimizerRuns: Number(value("optimizer_runs")),
    bytecodeHash: value("bytecode_hash"),
  };
}

function readRemappings(path: string): [string, string][] {
  return readFileSync(path, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [from = "", to = ""] = line.split("=");
      // Foundry treats "solmate/=lib/solmate" as a directory prefix either way.
      return [from, to.endsWith("/") ? to : `${to}/`];
    });
}

/** src/**\/*.sol plus every file reached through their imports, keyed by project-relative path. */
function collectSources(root: string, remappings: [string, string][]): Record<string, { content: string }> {
  const sources: Record<string, { content: string }> = {};
  const queue = listSol(root, "src");
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (sources[file]) continue;
    const content = readFileSync(join(root, file), "utf8");
    sources[file] = { content };
    for (const m of content.matchAll(/^\s*import\s+(?:[^"']*\bfrom\s+)?["']([^"']+)["']/gm)) {
      queue.push(resolveImport(file, m[1]!, remappings));
    }
  }
  return sources;
}

function listSol(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true })
    .flatMap((entry) => {
      const path = posix.join(dir, entry.name);
      if (entry.isDirectory()) return listSol(root, path);
      return path.endsWith(".sol") ? [path] : [];
    })
    .sort();
}

function resolveImport(from: string, spec: string, remappings: [string, string][]): string {
  if (spec.startsWith(".")) return posix.normalize(posix.join(posix.dirname(from), spec));
  for (const [prefix, target] of remappings) {
    if (spec.startsWith(prefix)) return target + spec.slice(prefix.length);
  }
  return spec;
}

function readSalt(path: string): Hex {
  const m = /bytes32\s+constant\s+SALT\s*=\s*bytes32\(uint256\((0x[0-9a-fA-F]+)\)\)/.exec(readFileSync(path, "utf8"));
  if (!m?.[1]) throw new Error(`test rig: no SALT constant in ${path}`);
  return `0x${m[1].slice(2).padStart(64, "0")}`;
}

function readExpectedRuntime(path: string): Hex {
  const m = /hex"([0-9a-fA-F]+)"/.exec(readFileSync(path, "utf8"));
  if (!m?.[1]) throw new Error(`test rig: no hex"…" bytecode in ${path}`);
  return `0x${m[1].toLowerCase()}`;
}
