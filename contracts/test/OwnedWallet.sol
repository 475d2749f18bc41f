// SPDX-License-Identifier: MIT
// TEST-ONLY. Never deploy this anywhere that holds value: it is the smallest contract wallet
// that answers EIP-1271, so the tests can sign in with a contract account (as Safe or Argent
// users do) on py-evm. It has no execute(), no recovery, no upgrade: nothing else a wallet has.
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title A one-owner EIP-1271 wallet for tests
/// @notice A signature is the wallet's when the owner's key signed the hash: the 65-byte
/// r || s || v an EOA makes (personal_sign, eth_signTypedData), checked with OpenZeppelin's
/// ECDSA (which takes 65 bytes only, and only the lower-half s).
contract OwnedWallet is IERC1271 {
    /// @dev EIP-1271's magic value: bytes4(keccak256("isValidSignature(bytes32,bytes)")).
    bytes4 private constant MAGIC_VALUE = IERC1271.isValidSignature.selector; // 0x1626ba7e
    /// @dev What the wallet answers for any signature that is not its owner's.
    bytes4 private constant INVALID = 0xffffffff;

    /// @notice The EOA whose signatures this wallet accepts; fixed at deployment.
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice 0x1626ba7e when `signature` over `hash` recovers to the owner, else 0xffffffff.
    /// @dev Never reverts for a bad signature (wrong signer, wrong length, malleable s, v not
    /// 27/28): tryRecover reports those as errors instead. tryRecover never yields address(0)
    /// without an error, so a wallet owned by address(0) accepts nothing.
    function isValidSignature(bytes32 hash, bytes memory signature) public view override returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == owner ? MAGIC_VALUE : INVALID;
    }
}
