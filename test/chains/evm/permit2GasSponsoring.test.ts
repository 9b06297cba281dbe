import { PERMIT2_ADDRESS } from "@x402/evm";
import { getAddress, maxUint256, recoverTypedDataAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { assetTable } from "../../../src/chains/assets.js";
import { tokenDomainSeparator } from "../../../src/chains/evm/permit2/eip2612Permit.js";
import { exactPermit2Scheme } from "../../../src/chains/evm/schemes/exact-permit2/index.js";
import { uptoEvmScheme } from "../../../src/chains/evm/schemes/upto/index.js";
import { MAX_VALIDITY_SECONDS } from "../../../src/chains/signingWindow.js";
import type { ChainReads } from "../../../src/chains/types.js";
import { ConfigSchema } from "../../../src/config/schema.js";
import { isCodedError } from "../../../src/errors.js";
import { parsePaymentRequired } from "../../../src/x402/parsePaymentRequired.js";
import { evaluateOptions } from "../../../src/x402/select.js";
import { v2Requirement, v2Response } from "../../x402/helpers.js";

const USDC = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
const PLAIN = "0x9a1e000000000000000000000000000000000018";
const ATTACKER = "0x000000000000000000000000000000000000dEaD";
const USDC_SEPARATOR = tokenDomainSeparator({ name: "USDC", version: "2", chainId: 84532, verifyingContract: USDC });
const assets = assetTable(ConfigSchema.parse({ assets: [{ network: "eip155:84532", address: PLAIN, symbol: "PLAIN", decimals: 18, usdPerUnit: "1" }] }).assets);
const policy = { networks: ["eip155:84532"], assets, payees: { allow: [], deny: [] } };
const offered = { info: { description: "The facilitator accepts EIP-2612 gasless Permit to `Permit2` canonical contract.", version: "1" }, schema: { type: "object" } };

/** The chain as the preflight sees it; `calls` counts the EIP-2612 reads. */
function chain(state: { allowance?: bigint; nonce?: bigint; separator?: string; noEip2612?: boolean } = {}) {
  const calls = { eip2612: 0 };
  const reads = {
    readAllowance: async () => state.allowance ?? 0n,
    readEip2612: async () => {
      calls.eip2612 += 1;
      if (state.noEip2612) throw new Error('The contract function "nonces" reverted.');
      return { nonce: state.nonce ?? 7n, domainSeparator: state.separator ?? USDC_SEPARATOR };
    },
  } as unknown as ChainReads;
  return { reads, calls };
}

function payment(option: Record<string, unknown>, extensions: Record<string, unknown> | undefined) {
  const required = parsePaymentRequired(v2Response([v2Requirement(option)], extensions ? { extensions } : {}));
  const [chosen] = evaluateOptions(required, policy).payable;
  if (!chosen) throw new Error("option not payable");
  return { required, chosen };
}
const usdcOption = (overrides: Record<string, unknown> = {}) => ({ extra: { assetTransferMethod: "permit2", name: "USDC", version: "2" }, ...overrides });

async function pay(account: ReturnType<typeof privateKeyToAccount>, reads: ChainReads, option: Record<string, unknown>, extensions?: Record<string, unknown>) {
  const { required, chosen } = payment(option, extensions);
  const input = { account, option: chosen.option, asset: chosen.asset, required };
  const preflight = await chosen.scheme.preflight!(reads, input);
  const prepared = chosen.scheme.prepare({ ...input, preflight });
  const signed = await prepared.sign();
  return { prepared, body: signed.payload as Record<string, any> };
}

async function refusal(run: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await run.then(() => undefined, (e: unknown) => e);
  if (!isCodedError(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe("exact through Permit2 with eip2612GasSponsoring", () => {
  it("signs the token's permit for exactly the price, for Permit2, with the on-chain nonce, whatever spender or amount the server's declaration names", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const { reads } = chain({ nonce: 7n });
    const hostile = { ...offered, info: { ...offered.info, spender: ATTACKER, amount: maxUint256.toString(), from: ATTACKER, asset: PLAIN } };
    const { prepared, body } = await pay(account, reads, usdcOption(), { eip2612GasSponsoring: hostile, other: { info: { a: 1 } } });
    const info = body.extensions.eip2612GasSponsoring.info;
    expect(info).toMatchObject({ from: account.address, asset: getAddress(USDC), spender: PERMIT2_ADDRESS, amount: "10000", nonce: "7", deadline: String(prepared.validBefore), version: "1" });
    expect(info.description).toBe(offered.info.description);
    expect(body.extensions.other).toEqual({ info: { a: 1 } });
    const owner = await recoverTypedDataAddress({
      domain: { name: "USDC", version: "2", chainId: 84532, verifyingContract: getAddress(USDC) },
      types: { Permit: [{ name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" }] },
      primaryType: "Permit",
      message: { owner: account.address, spender: PERMIT2_ADDRESS, value: 10_000n, nonce: 7n, deadline: BigInt(prepared.validBefore) },
      signature: info.signature as Hex,
    });
    expect(owner).toBe(account.address);
  });

  it("bounds the permit's deadline by the signing window, the Permit2 deadline's, whatever maxTimeoutSeconds asks", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const before = Math.floor(Date.now() / 1000);
    const { body } = await pay(account, chain().reads, usdcOption({ maxTimeoutSeconds: 10 * 365 * 86_400 }), { eip2612GasSponsoring: offered });
    const deadline = Number(body.extensions.eip2612GasSponsoring.info.deadline);
    expect(deadline).toBe(Number(body.payload.permit2Authorization.deadline));
    expect(deadline - before).toBeLessThanOrEqual(MAX_VALIDITY_SECONDS + 1);
  });

  it("signs no permit when Permit2's allowance already covers the price", async () => {
    const { calls, reads } = chain({ allowance: 10_000n });
    const { body } = await pay(privateKeyToAccount(generatePrivateKey()), reads, usdcOption(), { eip2612GasSponsoring: offered });
    expect(body.extensions.eip2612GasSponsoring).toEqual(offered);
    expect(calls.eip2612).toBe(0);
  });

  it("without the extension: PERMIT2_APPROVAL_REQUIRED, and the token is not asked for its nonce", async () => {
    const { calls, reads } = chain();
    const failed = await refusal(pay(privateKeyToAccount(generatePrivateKey()), reads, usdcOption()));
    expect(failed.code).toBe("PERMIT2_APPROVAL_REQUIRED");
    expect(failed.message).not.toContain("gasless");
    expect(calls.eip2612).toBe(0);
  });

  it("a token with no EIP-712 domain on record is refused before any read; one answering no nonces() or another DOMAIN_SEPARATOR() is refused; another extension version too", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const plain = chain();
    const noDomain = await refusal(pay(account, plain.reads, { asset: PLAIN, amount: "10000000000000000", extra: { assetTransferMethod: "permit2", name: "Evil", version: "1" } }, { eip2612GasSponsoring: offered }));
    expect(noDomain).toMatchObject({ code: "PERMIT2_APPROVAL_REQUIRED" });
    expect(noDomain.message).toContain("PLAIN has no EIP-712 domain on record");
    expect(plain.calls.eip2612).toBe(0);

    const noPermit = await refusal(pay(account, chain({ noEip2612: true }).reads, usdcOption(), { eip2612GasSponsoring: offered }));
    expect(noPermit.code).toBe("PERMIT2_APPROVAL_REQUIRED");
    expect(noPermit.message).toContain("answers no EIP-2612 nonces()/DOMAIN_SEPARATOR()");

    const otherDomain = await refusal(pay(account, chain({ separator: `0x${"ab".repeat(32)}` }).reads, usdcOption(), { eip2612GasSponsoring: offered }));
    expect(otherDomain.message).toContain("DOMAIN_SEPARATOR() on-chain is not the one of its EIP-712 domain on record");

    const version2 = await refusal(pay(account, chain().reads, usdcOption(), { eip2612GasSponsoring: { info: { version: "2" } } }));
    expect(version2.message).toContain('its version "2" is not the version 1 this wallet signs');
  });

  it("a token the wallet does not know is not payable at all, extension or not", () => {
    const required = parsePaymentRequired(v2Response([v2Requirement({ asset: "0x00000000000000000000000000000000000000aa", ...usdcOption() })], { extensions: { eip2612GasSponsoring: offered } }));
    const evaluated = evaluateOptions(required, policy);
    expect(evaluated.payable).toEqual([]);
  });

  it("upto stays refused without the allowance, even when the extension is offered", async () => {
    const { required } = payment(usdcOption(), { eip2612GasSponsoring: offered });
    const option = { ...required.options[0]!, scheme: "upto", extra: { ...required.options[0]!.extra, facilitatorAddress: ATTACKER } };
    const [chosen] = evaluateOptions({ ...required, options: [option] }, policy).payable;
    expect(chosen?.scheme).toBe(uptoEvmScheme);
    const { calls, reads } = chain();
    const failed = await refusal(chosen!.scheme.preflight!(reads, { account: privateKeyToAccount(generatePrivateKey()), option, asset: chosen!.asset, required }));
    expect(failed.code).toBe("PERMIT2_APPROVAL_REQUIRED");
    expect(calls.eip2612).toBe(0);
    expect(exactPermit2Scheme.handles(option)).toBe(false);
  });
});
