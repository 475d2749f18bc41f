"""Token buckets: a burst up to the per-minute setting, then one request per 60/N seconds."""

from __future__ import annotations

from qa_service.ratelimit import RateLimiter


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
