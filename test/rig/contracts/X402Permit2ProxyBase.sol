// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The part of Uniswap Permit2's signature-transfer interface the x402 proxies call.
interface IPermit2SignatureTransfer {
    struct TokenPermissions {
        address token;
        uint256 amount;
    }

    struct PermitTransferFrom {
        TokenPermissions permitted;
        uint256 nonce;
        uint256 deadline;
    }

    struct SignatureTransferDetails {
        address to;
        uint256 requestedAmount;
    }

    function permitWitnessTransferFrom(
        PermitTransferFrom calldata permit,
        SignatureTransferDetails calldata transferDetails,
        address owner,
        bytes32 witness,
        string calldata witnessTypeString,
        bytes calldata signature
    ) external;
}

interface IERC2612 {
    function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external;
}

/// @title X402Permit2ProxyBase — what the exact and upto proxies share.
/// @notice Written for the test rig from the x402 specs (scheme_exact_evm.md, scheme_upto_evm.md)
///         and the ABIs the x402 EVM package exports. Placed with anvil_setCode, so nothing may depend on a
///         constructor: Permit2's address is a constant and the reentrancy lock lives in
///         transient storage (zero at the start of every transaction).
abstract contract X402Permit2ProxyBase {
    /// @notice Canonical Permit2, the same address on every chain.
    IPermit2SignatureTransfer public constant PERMIT2 =
        IPermit2SignatureTransfer(0x000000000022D473030F116dDEE9F6B43aC78BA3);

    /// @notice The gasless-approval extension's EIP-2612 permit, the owner's signature split.
    struct EIP2612Permit {
        uint256 value;
        uint256 deadline;
        bytes32 r;
        bytes32 s;
        uint8 v;
    }

    event Settled();
    event SettledWithPermit();

    error InvalidDestination();
    error InvalidOwner();
    error PaymentTooEarly();
    error Permit2612AmountMismatch();
    error ReentrancyGuardReentrantCall();

    bool private transient _entered;

    modifier nonReentrant() {
        if (_entered) revert ReentrancyGuardReentrantCall();
        _entered = true;
        _;
        _entered = false;
    }

    function _checkParties(address owner, address to, uint256 validAfter) internal view {
        if (owner == address(0)) revert InvalidOwner();
        if (to == address(0)) revert InvalidDestination();
        if (block.timestamp < validAfter) revert PaymentTooEarly();
    }

    /// @dev Gives Permit2 the owner's allowance on the token before the transfer; a permit for less
    ///      than the signed Permit2 amount could only make the transfer fail later, so refuse it here.
    function _approvePermit2With2612(address token, address owner, EIP2612Permit calldata p, uint256 needed)
        internal
    {
        if (p.value < needed) revert Permit2612AmountMismatch();
        IERC2612(token).permit(owner, address(PERMIT2), p.value, p.deadline, p.v, p.r, p.s);
    }

    /// @notice The token refused the EIP-2612 permit; settlement still goes on, and succeeds only
    ///         if Permit2 already holds the allowance (someone submitted the same permit first).
    event EIP2612PermitFailedWithData(address indexed token, address indexed owner, bytes data);

    /// @dev The exact proxy's gasless approval, as x402's audited proxy does it: the permit is for
    ///      exactly the signed Permit2 amount (more would leave Permit2 a standing allowance the
    ///      payer never used, less could only fail later), and a permit the token refuses does not
    ///      revert, so a copy front-run from the mempool cannot block the payment it came with.
    function _permit2612Exact(address token, address owner, EIP2612Permit calldata p, uint256 permitted) internal {
        if (p.value != permitted) revert Permit2612AmountMismatch();
        try IERC2612(token).permit(owner, address(PERMIT2), p.value, p.deadline, p.v, p.r, p.s) {}
        catch (bytes memory data) {
            emit EIP2612PermitFailedWithData(token, owner, data);
        }
    }

    function _pull(
        IPermit2SignatureTransfer.PermitTransferFrom calldata permit,
        address to,
        uint256 amount,
        address owner,
        bytes32 witnessHash,
        string memory witnessTypeString,
        bytes calldata signature
    ) internal {
        PERMIT2.permitWitnessTransferFrom(
            permit,
            IPermit2SignatureTransfer.SignatureTransferDetails({to: to, requestedAmount: amount}),
            owner,
            witnessHash,
            witnessTypeString,
            signature
        );
    }
}
