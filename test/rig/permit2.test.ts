import { decodePaymentRequiredHeader } from "@x402/core/http";
import { permit2WitnessTypes, uptoPermit2WitnessTypes, x402UptoPermit2ProxyABI } from "@x402/evm";
import { registerExactEvmScheme } from "@x402/evm/exact/client";
import { UptoEvmScheme } from "@x402/evm/upto/client";
import { decodePaymentResponseHeader, wrapFetchWithPayment, x402Client } from "@x402/fetch";
import { hashDomain, keccak256, numberToHex, parseAbi, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CHAIN_ID,
  NETWORK_V2,
  PERMIT2,
  PERMIT2_EXACT_PRICE,
  UPTO_DEFAULT_ACTUAL,
  UPTO_MAX_ATOMIC,
  X402_EXACT_PERMIT2_PROXY,
  X402_UPTO_PERMIT2_PROXY,
  permit2Abi,
  startRig,
  type Rig,
  type RigPermit2,
  type RigWallet,
} from "./index.js";
import { compileContracts } from "./compile.js";
import { buildPermit2 } from "./permit2Build.js";

const TX_HASH = /^0x[0-9a-f]{64}$/i;
/**
 * Where Uniswap's DeployPermit2 bytecode was captured: a `new Permit2()` inside a Foundry test
 * (Foundry's default chain id, the address its test contract's CREATE gave).
 */
const CAPTURED_AT = { chainId: 31337, address: "0xF62849F9A0B5Bf2913b396098F7c7019b51A820a" } as const;

let rig: Rig;
let p2: RigPermit2;

beforeAll(async () => {
  rig = await startRig({ permit2: true });
  p2 = rig.permit2!;
});

afterAll(async () => {
  await rig?.stop();
});

interface Sent {
  paymentSignature?: string;
}

/** The official client (@x402/fetch + @x402/evm exact and upto), recording what it sends. */
function officialFetch(wallet: RigWallet, sent: Sent = {}) {
  const signer = privateKeyToAccount(wallet.privateKey);
  const client = new x402Client();
  registerExactEvmScheme(client, { signer });
  // On the same "eip155:*" key as exact: a scheme map for the exact network would hide the wildcard's.
  client.register("eip155:*", new UptoEvmScheme(signer));
  // The official client pays only tokens of its default table unless told otherwise.
  client.setSpendControls({ allowedAssets: [{ network: NETWORK_V2, asset: p2.token }] });
  const recording = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const request = new Request(input, init);
    sent.paymentSignature = request.headers.get("PAYMENT-SIGNATURE") ?? sent.paymentSignature;
    return fetch(request);
  };
  return wrapFetchWithPayment(recording, client);
}

function decodeSent(sent: Sent) {
  expect(sent.paymentSignature).toBeTruthy();
  return JSON.parse(Buffer.from(sent.paymentSignature!, "base64").toString("utf8")) as {
    accepted: { scheme: string; amount: string; asset: string; extra: Record<string, unknown> };
    payload: {
      signature: Hex;
      permit2Authorization: {
        from: string;
        spender: string;
        permitted: { token: string; amount: string };
        nonce: string;
        deadline: string;
        witness: Record<string, string>;
      };
    };
  };
}

function domainSeparator(chainId: number, verifyingContract: Address = PERMIT2): Hex {
  return hashDomain({
    domain: { name: "Permit2", chainId: BigInt(chainId), verifyingContract },
    types: {
      EIP712Domain: [
        { name: "name", type: "string" },
        { name: "chainId", type: "uint256" },
        { name: "verifyingContract", type: "address" },
      ],
    },
  });
}

function replaceBytes(code: Hex, start: number, bytes: Hex): Hex {
  const hex = code.slice(2);
  const at = start * 2;
  return `0x${hex.slice(0, at)}${bytes.slice(2)}${hex.slice(at + bytes.length - 2)}`;
}

describe("Permit2 rig", () => {
  it("deploys Uniswap's Permit2 at its canonical address, byte for byte the code of their DeployPermit2", async () => {
    const build = buildPermit2();
    const [chainIdSlot, separatorSlot] = build.immutables;
    expect(build.immutables).toHaveLength(2);
    expect(chainIdSlot!.length).toBe(32);
    expect(separatorSlot!.length).toBe(32);

    // Uniswap's copy carries its constructor's values from where it was captured: prove that,
    // then put in this chain's values; every other byte must already be identical.
    const at = (slot: { start: number }) =>
      `0x${build.expectedRuntime.slice(2 + slot.start * 2, 2 + (slot.start + 32) * 2)}`;
    expect(at(chainIdSlot!)).toBe(numberToHex(CAPTURED_AT.chainId, { size: 32 }));
    expect(at(separatorSlot!)).toBe(domainSeparator(CAPTURED_AT.chainId, CAPTURED_AT.address));
    let expected = replaceBytes(build.expectedRuntime, chainIdSlot!.start, numberToHex(CHAIN_ID, { size: 32 }));
    expected = replaceBytes(expected, separatorSlot!.start, domainSeparator(CHAIN_ID));

    const onChain = await rig.publicClient.getCode({ address: PERMIT2 });
    expect(onChain?.length).toBe(build.expectedRuntime.length);
    expect(onChain).toBe(expected);
    const separator = await rig.publicClient.readContract({
      address: PERMIT2,
      abi: permit2Abi,
      functionName: "DOMAIN_SEPARATOR",
    });
    expect(separator).toBe(domainSeparator(CHAIN_ID));
  });

  it("places the x402 proxies at @x402/evm's addresses, pointing at Permit2 with the witness types the client signs", async () => {
    const compiled = compileContracts();
    expect(await rig.publicClient.getCode({ address: X402_EXACT_PERMIT2_PROXY })).toBe(compiled.X402ExactPermit2Proxy);
    expect(await rig.publicClient.getCode({ address: X402_UPTO_PERMIT2_PROXY })).toBe(compiled.X402UptoPermit2Proxy);
    const proxyAbi = parseAbi([
      "function PERMIT2() view returns (address)",
      "function WITNESS_TYPEHASH() view returns (bytes32)",
    ]);
    const witnessTypehash = (fields: readonly { name: string; type: string }[]) =>
      keccak256(toHex(`Witness(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`));
    for (const [address, types] of [
      [X402_EXACT_PERMIT2_PROXY, permit2WitnessTypes],
      [X402_UPTO_PERMIT2_PROXY, uptoPermit2WitnessTypes],
    ] as const) {
      const read = (functionName: "PERMIT2" | "WITNESS_TYPEHASH") =>
        rig.publicClient.readContract({ address, abi: proxyAbi, functionName });
      expect(await read("PERMIT2")).toBe(PERMIT2);
      expect(await read("WITNESS_TYPEHASH")).toBe(witnessTypehash(types.Witness));
    }
  });

  it("exact through Permit2 without approval: the server answers 412 permit2_allowance_required, nothing moves", async () => {
    const wallet = await rig.newWallet();
    await p2.mintToken(wallet.address, PERMIT2_EXACT_PRICE * 3n);
    const before = await p2.balanceOf(wallet.address);

    const sent: Sent = {};
    const res = await officialFetch(wallet, sent)(p2.urls.exact);
    const body = await res.text();
    const header = res.headers.get("PAYMENT-REQUIRED");
    expect(res.status).toBe(412);
    expect(header).toBeTruthy();
    const required = decodePaymentRequiredHeader(header!);
    expect(required.error).toBe("permit2_allowance_required");
    expect(decodeSent(sent).payload.permit2Authorization.spender).toBe(X402_EXACT_PERMIT2_PROXY);
    expect(await p2.balanceOf(wallet.address)).toBe(before);
  });

  it("exact through Permit2 after approve(Permit2): the official client pays exactly the price", async () => {
    const wallet = await rig.newWallet();
    await p2.mintToken(wallet.address, PERMIT2_EXACT_PRICE * 3n);
    await p2.approvePermit2(wallet, p2.token);
    const before = { payer: await p2.balanceOf(wallet.address), payTo: await p2.balanceOf(rig.payTo) };

    const sent: Sent = {};
    const res = await officialFetch(wallet, sent)(p2.urls.exact);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: "paid through Permit2" });
    const settlement = decodePaymentResponseHeader(res.headers.get("PAYMENT-RESPONSE")!);
    expect(settlement.success).toBe(true);
    expect(settlement.transaction).toMatch(TX_HASH);

    const after = { payer: await p2.balanceOf(wallet.address), payTo: await p2.balanceOf(rig.payTo) };
    expect(before.payer - after.payer).toBe(PERMIT2_EXACT_PRICE);
    expect(after.payTo - before.payTo).toBe(PERMIT2_EXACT_PRICE);

    const payment = decodeSent(sent);
    expect(payment.accepted.extra.assetTransferMethod).toBe("permit2");
    const auth = payment.payload.permit2Authorization;
    expect(auth.spender).toBe(X402_EXACT_PERMIT2_PROXY);
    expect(auth.permitted).toEqual({ token: p2.token, amount: PERMIT2_EXACT_PRICE.toString() });
    expect(Object.keys(auth.witness).sort()).toEqual(["to", "validAfter"]);
    expect(auth.witness.to).toBe(rig.payTo);
  });

  it("upto: the client signs the maximum, the chain moves exactly the actual amount", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    await p2.approvePermit2(wallet, rig.usdc);
    const before = { payer: await rig.balanceOf(wallet.address), payTo: await rig.balanceOf(rig.payTo) };

    const sent: Sent = {};
    const res = await officialFetch(wallet, sent)(p2.urls.upto);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: "metered content", actual: UPTO_DEFAULT_ACTUAL.toString() });
    const settlement = decodePaymentResponseHeader(res.headers.get("PAYMENT-RESPONSE")!);
    expect(settlement.success).toBe(true);
    expect(settlement.transaction).toMatch(TX_HASH);
    expect(settlement.amount).toBe(UPTO_DEFAULT_ACTUAL.toString());

    const after = { payer: await rig.balanceOf(wallet.address), payTo: await rig.balanceOf(rig.payTo) };
    expect(before.payer - after.payer).toBe(UPTO_DEFAULT_ACTUAL);
    expect(after.payTo - before.payTo).toBe(UPTO_DEFAULT_ACTUAL);

    const payment = decodeSent(sent);
    expect(payment.accepted.scheme).toBe("upto");
    expect(payment.accepted.extra.facilitatorAddress).toBe(rig.facilitator);
    const auth = payment.payload.permit2Authorization;
    expect(auth.spender).toBe(X402_UPTO_PERMIT2_PROXY);
    expect(auth.permitted).toEqual({ token: rig.usdc, amount: UPTO_MAX_ATOMIC.toString() });
    expect(auth.witness).toEqual({ to: rig.payTo, facilitator: rig.facilitator, validAfter: "0" });
  });

  it("upto with an actual of 0: success, no transaction, nothing moves", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    await p2.approvePermit2(wallet, rig.usdc);
    const before = await rig.balanceOf(wallet.address);

    const res = await officialFetch(wallet)(`${p2.urls.upto}?actual=0`);
    expect(res.status).toBe(200);
    const settlement = decodePaymentResponseHeader(res.headers.get("PAYMENT-RESPONSE")!);
    expect(settlement).toMatchObject({ success: true, transaction: "", amount: "0" });
    expect(await rig.balanceOf(wallet.address)).toBe(before);
  });

  it("upto settling above the maximum: the facilitator refuses, nothing moves", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    await p2.approvePermit2(wallet, rig.usdc);
    const before = await rig.balanceOf(wallet.address);

    const res = await officialFetch(wallet)(`${p2.urls.upto}?actual=${UPTO_MAX_ATOMIC + 1n}`);
    // A failed settlement after the handler: 402, body {}, the failure in PAYMENT-RESPONSE.
    expect(res.status).toBe(402);
    expect(res.headers.get("PAYMENT-REQUIRED")).toBeNull();
    expect(decodePaymentResponseHeader(res.headers.get("PAYMENT-RESPONSE")!)).toMatchObject({
      success: false,
      transaction: "",
      errorReason: "invalid_upto_evm_payload_settlement_exceeds_amount",
    });
    expect(await rig.balanceOf(wallet.address)).toBe(before);
  });

  it("the upto proxy takes no settlement from anyone but the witnessed facilitator, nor above the permit", async () => {
    const args = (amount: bigint, facilitator: Address) =>
      [
        { permitted: { token: rig.usdc, amount: 1_000n }, nonce: 1n, deadline: 2n ** 48n },
        amount,
        rig.payer.address,
        { to: rig.payTo, facilitator, validAfter: 0n },
        "0x",
      ] as const;
    const call = (amount: bigint, facilitator: Address, account: Address) =>
      rig.publicClient.simulateContract({
        address: X402_UPTO_PERMIT2_PROXY,
        abi: x402UptoPermit2ProxyABI,
        functionName: "settle",
        args: args(amount, facilitator),
        account,
      });
    await expect(call(1_000n, rig.facilitator, rig.payTo)).rejects.toThrow(/UnauthorizedFacilitator/);
    await expect(call(1_001n, rig.facilitator, rig.facilitator)).rejects.toThrow(/AmountExceedsPermitted/);
  });
});

