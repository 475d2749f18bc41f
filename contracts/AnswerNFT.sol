// SPDX-License-Identifier: MIT
// 0.8.24 is the floor of OpenZeppelin 5.x; compile.js uses the solc pinned in package-lock.json.
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title Answer NFTs of the Q&A service
/// @notice One token per answered question: the token id is the question id, minted to the
/// asker's wallet by the service's minter key (the owner). Metadata lives at
/// baseURI + id + ".json", served by the Q&A service.
contract AnswerNFT is ERC721, Ownable, IERC4906 {
    /// @dev mintBatch was given arrays of different lengths.
    error LengthMismatch(uint256 recipients, uint256 tokenIds);

    string private _base;

    constructor(string memory name_, string memory symbol_, string memory baseURI_, address initialOwner)
        ERC721(name_, symbol_)
        Ownable(initialOwner)
    {
        _base = baseURI_;
    }

    /// @notice Mints `tokenId` (a question id) to `to`. Reverts if the token exists.
    /// @dev `_mint`, not `_safeMint`: the asker chose the wallet, and a contract wallet whose
    /// onERC721Received is missing or reverts must not be able to block (or, through the
    /// callback, re-enter) the service's minting; the token is still the asker's to move.
    function mint(address to, uint256 tokenId) external onlyOwner {
        _mint(to, tokenId);
    }

    /// @notice Mints `tokenIds[i]` to `to[i]` for every i, all or nothing.
    function mintBatch(address[] calldata to, uint256[] calldata tokenIds) external onlyOwner {
        if (to.length != tokenIds.length) revert LengthMismatch(to.length, tokenIds.length);
        for (uint256 i = 0; i < to.length; ++i) {
            _mint(to[i], tokenIds[i]);
        }
    }

    /// @notice For each id, whether it has been minted: the minter finds, in one call and
    /// without relying on a revert, tokens it sent but did not get to record.
    function minted(uint256[] calldata tokenIds) external view returns (bool[] memory result) {
        result = new bool[](tokenIds.length);
        for (uint256 i = 0; i < tokenIds.length; ++i) {
            result[i] = _ownerOf(tokenIds[i]) != address(0);
        }
    }

    /// @notice Points every token's metadata elsewhere, and tells indexers (ERC-4906) to
    /// fetch all of it again.
    function setBaseURI(string calldata baseURI_) external onlyOwner {
        _base = baseURI_;
        emit BatchMetadataUpdate(0, type(uint256).max);
    }

    /// @notice baseURI + decimal id + ".json"; reverts (ERC721NonexistentToken) for a token
    /// that was never minted, as OpenZeppelin's does.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        return string.concat(_baseURI(), Strings.toString(tokenId), ".json");
    }

    function _baseURI() internal view override returns (string memory) {
        return _base;
    }

    /// @dev ERC-4906 (0x49064906) besides what ERC721 answers: ERC-165, ERC-721, ERC-721 Metadata.
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, IERC165) returns (bool) {
        return interfaceId == bytes4(0x49064906) || super.supportsInterface(interfaceId);
    }
}
