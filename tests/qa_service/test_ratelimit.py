"""Token buckets: a burst up to the per-minute setting, then one request per 60/N seconds."""

from __future__ import annotations

from qa_service.ratelimit import RateLimiter
from tests.conftest import require


def test_a_bucket_allows_its_burst_then_refills_at_the_rate() -> None:
    limiter = RateLimiter(per_minute=6)  # one token every 10 s, six at most
    assert [limiter.take("a", 0.0) for _ in range(6)] == [None] * 6
    assert limiter.take("a", 0.0) == 10  # the wait until the next token
    assert limiter.take("a", 4.0) == 6
    assert limiter.take("a", 10.0) is None
    assert limiter.take("b", 10.0) is None  # keys have their own buckets
    assert [limiter.take("a", 1000.0) for _ in range(7)] == [None] * 6 + [10]  # refilled to six, no more


def test_zero_means_no_limit_and_memory_stays_bounded() -> None:
    assert all(RateLimiter(per_minute=0).take("a", 0.0) is None for _ in range(1000))
    limiter = RateLimiter(per_minute=1, max_keys=100)
    for i in range(1000):
        limiter.take(f"ip-{i}", 0.0)
    assert len(limiter._buckets) <= 100


def test_a_flood_of_new_keys_never_frees_a_key_being_limited() -> None:
    """The table was cleared whenever it filled: 100,000 requests from distinct (forged)
    addresses set free a client that was being limited. Now the bucket touched longest ago
    goes, one at a time, and the table never holds more than its size."""
    limiter = RateLimiter(per_minute=6, max_keys=1000)
    assert [limiter.take("attacker", 0.0) for _ in range(6)] == [None] * 6
    for i in range(100_000):
        limiter.take(f"forged-{i}", 0.001 * i / 100_000)
        if i % 500 == 0:  # the limited client keeps trying, so his bucket stays among the newest
            assert limiter.take("attacker", 0.001) is not None, f"freed after {i} forged keys"
        assert len(limiter) <= 1000
    assert limiter.take("attacker", 0.002) is not None
    assert "forged-0" not in limiter._buckets and "forged-99999" in limiter._buckets, "the oldest went first"


REDIS = "redis://127.0.0.1:6379/0"


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping())
    except Exception:
        return False


def test_two_processes_share_one_limit_through_redis(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each process kept its own buckets, so N instances allowed N times the rate; with
    QA_REDIS_URL they count in one place."""
    import secrets

    import httpx
    import redis

    from .conftest import ORIGIN
    from .servers import service

    require(redis_available(), "Redis is not reachable on 127.0.0.1:6379")
    prefix = f"qa-test-{secrets.token_hex(6)}:"
    env = {"QA_DATABASE_URL": f"sqlite:///{tmp_path / 'qa.sqlite3'}", "QA_URI": ORIGIN, "QA_DOMAIN": ORIGIN.split("//")[1],
           "QA_SECRET_KEY": secrets.token_hex(32), "QA_RATE_NONCE_PER_MINUTE": "6", "QA_REDIS_URL": REDIS,
           "QA_REDIS_PREFIX": prefix}
    try:
        with service(env) as first, service(env) as second:
            codes = [httpx.get(f"{url}/api/auth/nonce").status_code for _ in range(5) for url in (first, second)]
            assert codes.count(200) == 6 and codes[:6] == [200] * 6, codes
            limited = httpx.get(f"{second}/api/auth/nonce")
            assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        keys = redis.Redis.from_url(REDIS).keys(f"{prefix}*")
        assert keys and all(redis.Redis.from_url(REDIS).ttl(key) > 0 for key in keys), "every bucket expires"
    finally:
        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def test_without_redis_each_process_counts_alone_and_an_unreachable_redis_falls_back() -> None:
    import asyncio

    from redis.asyncio import Redis

    from qa_service.ratelimit import RedisRateLimiter

    async def run() -> list[int | None]:
        dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
        limiter = RedisRateLimiter(dead, "nonce", per_minute=2)
        try:
            return [await limiter.hit("client") for _ in range(3)]
        finally:
            await dead.aclose()

    results = asyncio.run(run())
    assert results[:2] == [None, None] and results[2] is not None, "still limited, in this process"
