import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Hex } from "viem";

const require = createRequire(import.meta.url);
const SOURCES = ["TestUSDC.sol", "Multicall3.sol"] as const;

// Pinned rather than solc's default so the bytecode never needs opcodes newer than anvil's fork.
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["evm.deployedBytecode.object"] } },
} as const;

export interface CompiledContracts {
  /** Runtime (deployed) bytecode, ready for anvil_setCode. */
  TestUSDC: Hex;
  Multicall3: Hex;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { evm: { deployedBytecode: { object: string } } }>>;
}

/**
 * Runtime bytecode of the rig's contracts. solc-js takes seconds to load, so results are cached
 * under the OS temp dir keyed by source + compiler version + settings.
 */
export function compileContracts(): CompiledContracts {
  const contractsDir = findContractsDir();
  const sources = Object.fromEntries(
    SOURCES.map((file) => [file, { content: readFileSync(join(contractsDir, file), "utf8") }]),
  );
  // Read from package.json so a cache hit never has to load the (slow) compiler itself.
  const solcVersion = (require("solc/package.json") as { version: string }).version;
  const key = createHash("sha256").update(JSON.stringify({ sources, solcVersion, SETTINGS })).digest("hex");
  const cacheDir = join(tmpdir(), "x402-rig-solc-cache");
  const cacheFile = join(cacheDir, `${key.slice(0, 32)}.json`);

  try {
    const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as Partial<CompiledContracts>;
    if (isHex(cached.TestUSDC) && isHex(cached.Multicall3)) {
      return { TestUSDC: cached.TestUSDC, Multicall3: cached.Multicall3 };
    }
  } catch {
    // cache miss or unreadable entry: compile below
  }

  const compiled = runSolc(sources);
  mkdirSync(cacheDir, { recursive: true });
  // Write-then-rename: parallel test workers may compile at the same time.
  const tmpFile = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmpFile, JSON.stringify(compiled));
  renameSync(tmpFile, cacheFile);
  return compiled;
}

/**
 * Next to this module when run from source (tsx, vitest); a compiled copy of the rig (e.g. a
 * demo built into dist-demo/) has no .sol files beside it, so walk up to the repo's test/rig.
 */
function findContractsDir(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, "contracts"), join(dir, "test", "rig", "contracts")]) {
      if (existsSync(join(candidate, SOURCES[0]))) return candidate;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(`test rig: cannot find contracts/${SOURCES[0]} above ${start}`);
}

function runSolc(sources: Record<string, { content: string }>): CompiledContracts {
  let solc: { compile(input: string): string };
  try {
    solc = require("solc") as typeof solc;
  } catch (err) {
    throw new Error(`test rig: cannot load solc (devDependency "solc"): ${(err as Error).message}`);
  }
  const output = JSON.parse(
    solc.compile(JSON.stringify({ language: "Solidity", sources, settings: SETTINGS })),
  ) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new Error(`test rig: solc failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  }
  const pick = (file: string, name: string): Hex => {
    const object = output.contracts?.[file]?.[name]?.evm.deployedBytecode.object;
    if (!object) throw new Error(`test rig: solc produced no bytecode for ${file}:${name}`);
    return `0x${object}`;
  };
  return { TestUSDC: pick("TestUSDC.sol", "TestUSDC"), Multicall3: pick("Multicall3.sol", "Multicall3") };
}

function isHex(value: unknown): value is Hex {
  return typeof value === "string" && /^0x[0-9a-fA-F]+$/.test(value);
}
