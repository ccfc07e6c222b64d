"""The end-to-end RabbitMQ figure can be reproduced (functional, not timed)."""

from __future__ import annotations

import pytest

from benchmarks.e2e_rabbitmq import measure


@pytest.mark.rabbitmq
def test_both_consumers_drain_every_sample(rabbitmq):
    results = measure(rabbitmq.url, samples=300, batch_size=50, timeout=120)
    assert results["bare"] > 0 and results["compat"] > 0
    assert results["compat/bare"] == pytest.approx(results["compat"] / results["bare"])
    rabbitmq.wait_until_drained(["e2e_compat"], timeout=30)  # drained last, nothing left unacked
