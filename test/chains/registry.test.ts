import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { assetTable, findAsset } from "../../src/chains/assets.js";
import { evmFamily } from "../../src/chains/evm/index.js";
import { exactEvmScheme } from "../../src/chains/evm/schemes/exact-eip3009/index.js";
import { solanaFamily } from "../../src/chains/solana/index.js";
import { exactSolanaScheme } from "../../src/chains/solana/schemes/exact/index.js";
import { explorerUrl, familyOf, findNetwork, findScheme, toCaip2 } from "../../src/chains/index.js";
import { parsePaymentRequired } from "../../src/x402/parsePaymentRequired.js";
import { v2Requirement, v2Response } from "../x402/helpers.js";

const src = resolve(import.meta.dirname, "../../src");

function sources(dir: string): string[] {
  return readdirSync(join(src, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(src, dir, f));
}

describe("the chain family registry", () => {
  it("finds a network's family by its CAIP-2 namespace, and no family for one it does not know", () => {
    expect(familyOf("eip155:84532")).toBe(evmFamily);
    expect(familyOf("solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp")).toBe(solanaFamily);
    expect(familyOf("cosmos:cosmoshub-4")).toBeUndefined();
    expect(familyOf("unknown-v1:base-goerli")).toBeUndefined();
  });

  it("asks the network's family for the scheme: exact on eip155 is EIP-3009, on solana exact/SVM, elsewhere nobody's", () => {
    const [evm] = parsePaymentRequired(v2Response([v2Requirement()])).options;
    expect(findScheme(evm!)).toBe(exactEvmScheme);
    expect(findScheme({ ...evm!, network: "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp" })).toBe(exactSolanaScheme);
    expect(findScheme({ ...evm!, network: "cosmos:cosmoshub-4" })).toBeUndefined();
  });

  it("maps v1 names, display names and explorer links through the families' tables", () => {
    expect(toCaip2("base-sepolia")).toBe("eip155:84532");
    expect(toCaip2("base-goerli")).toBe("unknown-v1:base-goerli");
    expect(findNetwork("eip155:8453")?.displayName).toBe("Base");
    expect(explorerUrl("eip155:8453", "0xabc")).toBe("https://basescan.org/tx/0xabc");
    expect(explorerUrl("solana:mainnet", "abc")).toBeNull();
    expect(toCaip2("solana-devnet")).toBe("solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1");
    expect(explorerUrl("solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp", "5sig")).toBe("https://explorer.solana.com/tx/5sig");
    expect(explorerUrl("solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1", "5sig")).toBe("https://explorer.solana.com/tx/5sig?cluster=devnet");
  });

  it("compares token addresses in the family's canonical form; an address of no family matches nothing", () => {
    const assets = assetTable([]);
    const usdc = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
    expect(findAsset(assets, "eip155:84532", usdc.toLowerCase())?.address).toBe(usdc);
    expect(findAsset(assets, "eip155:84532", "not an address")).toBeUndefined();
    expect(findAsset(assets, "solana:mainnet", usdc)).toBeUndefined();
  });
});

describe("the seam", () => {
  it("payment, x402, budget, tools and policy import no chain library and no family's own files", () => {
    const agnostic = ["payment", "x402", "budget", "tools", "policy", "server"].flatMap(sources);
    const offending = agnostic.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/from "([^"]+)"/g)]
        .map((m) => m[1]!)
        .filter((spec) => /^(viem|@solana\/)/.test(spec) || /\/chains\/(evm|solana)\//.test(spec))
        .map((spec) => `${relative(src, file)} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });
});

describe("the Solana family loads @solana/kit only with its first chain read", () => {
  it("no module the stdio server loads at start-up (index.ts and what its serve() imports, with their static imports) imports @solana/", () => {
    const loaded = new Set<string>();
    const visit = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      for (const m of readFileSync(file, "utf8").matchAll(/^(?:import|export) (?!type )(?:[^;]*?from )?"(\.{1,2}\/[^"]+)"/gm)) {
        visit(resolve(file, "..", m[1]!.replace(/\.js$/, ".ts")));
      }
    };
    for (const entry of ["index.ts", "config/load.ts", "wallet/loadWallet.ts", "wallet/loadSolanaWallet.ts", "runtime.ts", "server/stdio.ts", "log.ts"]) visit(join(src, entry));
    const usesKit = [...loaded].filter((f) => /^import (?!type )[^;]*from "@solana\//m.test(readFileSync(f, "utf8")));
    expect(usesKit.map((f) => relative(src, f))).toEqual([]);
    // The walk reaches the families: a broken walk would pass by seeing nothing.
    expect(loaded.has(join(src, "chains/solana/index.ts"))).toBe(true);
    expect(loaded.has(join(src, "chains/solana/rpcReads.ts"))).toBe(false);
  });

  it("its reads (rpcReads) and its transaction planning are reached by dynamic import()", () => {
    const dynamic = sources(".").flatMap((f) => [...readFileSync(f, "utf8").matchAll(/import\("(\.{1,2}\/[^"]+)"\)/g)].map((m) => m[1]!.split("/").pop()));
    expect(dynamic).toEqual(expect.arrayContaining(["rpcReads.js", "planTransfer.js"]));
  });
});
