"""/nft/{token_id}.json and .svg: an answer NFT's ERC-721 metadata and its image, public
(wallets and marketplaces fetch them without signing in) and cacheable for a while."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from .. import nft, questions
from ..schemas import NftMetadata
from .deps import Ctx, refusals

router = APIRouter(prefix="/nft", tags=["nft"], responses=refusals(404, 422))
TokenId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the token id (an answered question's id)")]
# Public data: any site's script may read it (wallets and marketplaces fetch it from theirs),
# and caches may keep it a little while (short: a withdrawal takes the token's words down).
CACHE = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}


@router.get("/{token_id}.json", response_model=NftMetadata)
async def token_metadata(token_id: TokenId, ctx: Ctx) -> Response:
    question = questions.answered(ctx.read_db, token_id=token_id)
    where = {"base_url": ctx.settings.uri, "collection": ctx.settings.nft_collection}
    data = NftMetadata(**(nft.metadata(question, **where) if question else nft.deleted_metadata(token_id, **where)))
    return Response(data.model_dump_json(exclude_none=True), media_type="application/json", headers=CACHE)


@router.get("/{token_id}.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}, "description": "The token's image"}})
async def token_image(token_id: TokenId, ctx: Ctx) -> Response:
    question = questions.answered(ctx.read_db, token_id=token_id)
    collection = ctx.settings.nft_collection
    svg = nft.image(question, collection=collection) if question else nft.deleted_image(token_id, collection=collection)
    return Response(svg, media_type="image/svg+xml", headers=CACHE)
