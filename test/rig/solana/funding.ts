import {
  appendTransactionMessageInstructions,
  blockhash,
  createTransactionMessage,
  generateKeyPairSigner,
  getTransactionEncoder,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  some,
  type Address,
  type Instruction,
  type KeyPairSigner,
} from "@solana/kit";
import {
  findAssociatedTokenPda,
  getCreateAssociatedTokenIdempotentInstruction,
  getMintEncoder,
  getMintSize,
  getMintToCheckedInstruction,
  TOKEN_PROGRAM_ADDRESS,
} from "@solana-program/token";
import type { LocalSvm, LandedTransaction } from "./chain.js";
import { readTokenAccount } from "./tokenAccounts.js";

/** Devnet USDC, as @x402/svm's default asset table and the issue name it. */
export const DEVNET_USDC_MINT = "4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU" as Address;
export const USDC_DECIMALS = 6;
export const LAMPORTS_PER_SOL = 1_000_000_000n;

const txEncoder = getTransactionEncoder();

/** Funding helpers over the rig's chain: SOL by airdrop, USDC minted by the rig as the mint's authority. */
export interface SolanaFunding {
  /** Mint authority of the USDC mint and payer of the rig's own set-up transactions. */
  authority: KeyPairSigner;
  airdrop(owner: Address, lamports: bigint): void;
  /** The owner's USDC associated token account, whether or not it exists yet. */
  usdcAta(owner: Address): Promise<Address>;
  /** Creates the owner's USDC ATA through the real ATA program (idempotent). */
  createUsdcAta(owner: Address): Promise<Address>;
  /** Creates the ATA if needed and mints `amount` atomic USDC into it. */
  mintUsdc(owner: Address, amount: bigint): Promise<LandedTransaction>;
  /** Atomic USDC in the owner's ATA; 0n when it does not exist. */
  usdcBalanceOf(owner: Address): Promise<bigint>;
}

/**
 * Writes a USDC mint at devnet's address (nobody can run devnet's InitializeMint there, so the
 * account is set directly, as the real mint's bytes would read) with `authority` as its mint
 * authority, and returns helpers that fund accounts through real SPL Token and ATA instructions.
 */
export async function setUpFunding(chain: LocalSvm): Promise<SolanaFunding> {
  const authority = await generateKeyPairSigner();
  chain.svm.airdrop(authority.address, lamports(1_000n * LAMPORTS_PER_SOL));
  const mintData = getMintEncoder().encode({
    mintAuthority: some(authority.address),
    supply: 0n,
    decimals: USDC_DECIMALS,
    isInitialized: true,
    freezeAuthority: some(authority.address),
  });
  chain.svm.setAccount({
    address: DEVNET_USDC_MINT,
    executable: false,
    lamports: lamports(chain.svm.minimumBalanceForRentExemption(BigInt(getMintSize()))),
    programAddress: TOKEN_PROGRAM_ADDRESS,
    space: BigInt(getMintSize()),
    data: Uint8Array.from(mintData),
  });

  const run = async (instructions: Instruction[]): Promise<LandedTransaction> => {
    const { blockhash: hash, lastValidBlockHeight } = chain.latestBlockhash();
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(authority, m),
      (m) => setTransactionMessageLifetimeUsingBlockhash({ blockhash: blockhash(hash), lastValidBlockHeight }, m),
      (m) => appendTransactionMessageInstructions(instructions, m),
    );
    const landed = chain.send(Uint8Array.from(txEncoder.encode(await signTransactionMessageWithSigners(message))));
    if (landed.err !== null) throw new Error(`solana rig: funding transaction failed: ${JSON.stringify(landed.err)}`);
    return landed;
  };

  const usdcAta = async (owner: Address) =>
    (await findAssociatedTokenPda({ mint: DEVNET_USDC_MINT, owner, tokenProgram: TOKEN_PROGRAM_ADDRESS }))[0];

  const createAtaInstruction = async (owner: Address) =>
    getCreateAssociatedTokenIdempotentInstruction({
      payer: authority,
      ata: await usdcAta(owner),
      owner,
      mint: DEVNET_USDC_MINT,
    });

  return {
    authority,
    airdrop(owner, amount) {
      const result = chain.svm.airdrop(owner, lamports(amount));
      if (!result || !("signature" in result)) throw new Error(`solana rig: airdrop to ${owner} failed`);
    },
    usdcAta,
    async createUsdcAta(owner) {
      await run([await createAtaInstruction(owner)]);
      return usdcAta(owner);
    },
    async mintUsdc(owner, amount) {
      const mintTo = getMintToCheckedInstruction({
        mint: DEVNET_USDC_MINT,
        token: await usdcAta(owner),
        mintAuthority: authority,
        amount,
        decimals: USDC_DECIMALS,
      });
      return run([await createAtaInstruction(owner), mintTo]);
    },
    async usdcBalanceOf(owner) {
      return readTokenAccount(chain.svm.getAccount(await usdcAta(owner)))?.amount ?? 0n;
    },
  };
}
