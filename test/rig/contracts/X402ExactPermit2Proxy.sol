// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPermit2SignatureTransfer, X402Permit2ProxyBase} from "./X402Permit2ProxyBase.sol";

/// @title X402ExactPermit2Proxy — the spender of x402 "exact" payments made through Permit2.
/// @notice Moves exactly the signed amount to the witness' `to`: the facilitator that submits the
///         transaction chooses neither amount nor recipient, since both are under the payer's
///         signature (the recipient as the Permit2 witness).
contract X402ExactPermit2Proxy is X402Permit2ProxyBase {
    struct Witness {
        address to;
        uint256 validAfter;
    }

    /// @notice Witness type as Permit2 appends it to "PermitWitnessTransferFrom(...,": the witness
    ///         field, then the referenced struct types in EIP-712's alphabetical order.
    string public constant WITNESS_TYPE_STRING =
        "Witness witness)TokenPermissions(address token,uint256 amount)Witness(address to,uint256 validAfter)";
    bytes32 public constant WITNESS_TYPEHASH = keccak256("Witness(address to,uint256 validAfter)");

    error InvalidAmount();

    function settle(
        IPermit2SignatureTransfer.PermitTransferFrom calldata permit,
        address owner,
        Witness calldata witness,
        bytes calldata signature
    ) external nonReentrant {
        _settle(permit, owner, witness, signature);
        emit Settled();
    }

    function settleWithPermit(
        EIP2612Permit calldata permit2612,
        IPermit2SignatureTransfer.PermitTransferFrom calldata permit,
        address owner,
        Witness calldata witness,
        bytes calldata signature
    ) external nonReentrant {
        _permit2612Exact(permit.permitted.token, owner, permit2612, permit.permitted.amount);
        _settle(permit, owner, witness, signature);
        emit SettledWithPermit();
    }

    function _settle(
        IPermit2SignatureTransfer.PermitTransferFrom calldata permit,
        address owner,
        Witness calldata witness,
        bytes calldata signature
    ) private {
        _checkParties(owner, witness.to, witness.validAfter);
        if (permit.permitted.amount == 0) revert InvalidAmount();
        bytes32 witnessHash = keccak256(abi.encode(WITNESS_TYPEHASH, witness.to, witness.validAfter));
        _pull(permit, witness.to, permit.permitted.amount, owner, witnessHash, WITNESS_TYPE_STRING, signature);
    }
}
