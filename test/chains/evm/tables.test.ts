import { DEFAULT_ASSETS } from "@x402/evm";
import { EVM_NETWORK_CHAIN_ID_MAP } from "@x402/evm/v1";
import { recoverTypedDataAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { assetTable } from "../../../src/chains/assets.js";
import { KNOWN_ASSETS } from "../../../src/chains/evm/assets.js";
import { KNOWN_NETWORKS } from "../../../src/chains/evm/networks.js";
import { exactEvmScheme } from "../../../src/chains/evm/schemes/exact-eip3009/index.js";
import { toCaip2 } from "../../../src/chains/index.js";
import { ConfigSchema } from "../../../src/config/schema.js";
import { parsePaymentRequired } from "../../../src/x402/parsePaymentRequired.js";
import { evaluateOptions, selectPaymentOption } from "../../../src/x402/select.js";
import { TRANSFER_WITH_AUTHORIZATION_TYPES } from "../../schemes/transferAuthorizationTypes.js";
import { PAY_TO, v1Requirement, v1Response, v2Requirement, v2Response } from "../../x402/helpers.js";

const payees = { allow: [], deny: [] };
const URL_PAID = "http://api.test/paid";

describe("the EVM network and asset tables", () => {
  it("hold every default asset of @x402/evm, in its order, with its address, decimals, EIP-712 domain and transfer method", () => {
    const official = Object.entries(DEFAULT_ASSETS).flatMap(([network, assets]) =>
      assets.map((a) => ({
        network,
        address: a.asset,
        symbol: a.symbol,
        decimals: a.decimals,
        eip712: { name: a.name, version: a.version },
        transferMethod: a.assetTransferMethod ?? "eip3009",
      })),
    );
    const ours = KNOWN_ASSETS.map(({ network, address, symbol, decimals, eip712, transferMethod }) => ({ network, address, symbol, decimals, eip712, transferMethod }));
    expect(ours).toEqual(official);
    expect(KNOWN_ASSETS.every((a) => a.usdPerUnitMicros === 1_000_000n)).toBe(true);
  });

  it("know every network of that table and no other, each with a display name, an https RPC, an explorer link and x402's v1 name", () => {
    expect(KNOWN_NETWORKS.map((n) => n.caip2).sort()).toEqual(Object.keys(DEFAULT_ASSETS).sort());
    const v1NameOf = new Map(Object.entries(EVM_NETWORK_CHAIN_ID_MAP).map(([name, id]) => [id as number, name]));
    for (const network of KNOWN_NETWORKS) {
      expect(network.caip2).toBe(`eip155:${network.chainId}`);
      expect(network.v1Name).toBe(v1NameOf.get(network.chainId) ?? null);
      expect(network.displayName).toMatch(/^\S.*\S$/);
      expect(new URL(network.defaultRpc).protocol).toBe("https:");
      expect(network.explorerTxUrl).toMatch(/^https:\/\/[^/]+(\/[^/]+)*\/tx\/$/);
      if (network.v1Name) expect(toCaip2(network.v1Name)).toBe(network.caip2);
    }
  });
});

describe("paying on the networks of the table", () => {
  const polygonUsdc = "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359";
  const polygonOption = v2Requirement({ network: "eip155:137", asset: polygonUsdc, extra: { name: "USD Coin", version: "2" } });

  it("never pays on a network the owner did not enable: Polygon is refused under the default networks", () => {
    const config = ConfigSchema.parse({});
    const { payable, refused } = evaluateOptions(parsePaymentRequired(v2Response([polygonOption])), {
      networks: config.networks,
      assets: assetTable(config.assets),
      payees,
    });
    expect(payable).toEqual([]);
    expect(refused[0]?.reason).toMatch(/^network eip155:137 is not enabled/);
  });

  it("pays Polygon's USDC once enabled, v2 and v1, signed under that token's own domain on chain 137", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const policy = { networks: ["eip155:137"], assets: assetTable([]), payees };
    for (const required of [
      parsePaymentRequired(v2Response([polygonOption])),
      parsePaymentRequired(v1Response([v1Requirement({ network: "polygon", asset: polygonUsdc, extra: { name: "Evil", version: "9" } })])),
    ]) {
      const chosen = selectPaymentOption(required, policy, URL_PAID);
      expect(chosen.option.network).toBe("eip155:137");
      const signed = await exactEvmScheme.prepare({ account, option: chosen.option, asset: chosen.asset, required }).sign();
      const inner = (signed.payload as { payload: { authorization: Record<string, string>; signature: Hex } }).payload;
      if (required.x402Version === 1) expect((signed.payload as { network: string }).network).toBe("polygon");
      const a = inner.authorization;
      const signer = await recoverTypedDataAddress({
        domain: { name: "USD Coin", version: "2", chainId: 137, verifyingContract: polygonUsdc },
        types: TRANSFER_WITH_AUTHORIZATION_TYPES,
        primaryType: "TransferWithAuthorization",
        message: {
          from: a.from as Hex,
          to: a.to as Hex,
          value: BigInt(a.value!),
          validAfter: BigInt(a.validAfter!),
          validBefore: BigInt(a.validBefore!),
          nonce: a.nonce as Hex,
        },
        signature: inner.signature,
      });
      expect(signer).toBe(account.address);
      expect(a.to).toBe(PAY_TO);
    }
  });

  it("refuses a token the table pays through Permit2 (MegaUSD on MegaETH), even when the server asks for EIP-3009, and signs nothing", () => {
    const megaUsd = KNOWN_ASSETS.find((a) => a.network === "eip155:4326")!;
    const required = parsePaymentRequired(v2Response([v2Requirement({ network: "eip155:4326", asset: megaUsd.address, amount: "10000000000000000" })]));
    const { payable, refused } = evaluateOptions(required, { networks: ["eip155:4326"], assets: assetTable([]), payees });
    expect(payable).toEqual([]);
    expect(refused[0]?.reason).toBe("MegaUSD on MegaETH is paid only through Permit2, and this option does not say assetTransferMethod \"permit2\" (the wallet never pays such a token with EIP-3009)");
    const account = privateKeyToAccount(generatePrivateKey());
    expect(() => exactEvmScheme.prepare({ account, option: required.options[0]!, asset: megaUsd, required })).toThrow(/only through Permit2/);
  });

  it("takes an extra token without eip712 as a Permit2 token, refused until Permit2 is signed; with eip712 it is paid by EIP-3009", () => {
    const token = "0x2222222222222222222222222222222222222222";
    const entry = { network: "eip155:84532", address: token, symbol: "TKN", decimals: 18, usdPerUnit: "1" };
    const required = parsePaymentRequired(v2Response([v2Requirement({ asset: token, amount: "1000000000000000000" })]));
    const permit2 = ConfigSchema.parse({ assets: [entry] });
    const refused = evaluateOptions(required, { networks: ["eip155:84532"], assets: assetTable(permit2.assets), payees }).refused;
    expect(refused[0]?.reason).toMatch(/^TKN on Base Sepolia is paid only through Permit2/);
    const eip3009 = ConfigSchema.parse({ assets: [{ ...entry, eip712: { name: "Token", version: "1" } }] });
    const [chosen] = evaluateOptions(required, { networks: ["eip155:84532"], assets: assetTable(eip3009.assets), payees }).payable;
    expect(chosen?.usdMicros).toBe(1_000_000n);
  });
});
