"""The end-to-end RabbitMQ figure can be reproduced (functional, not timed)."""

from __future__ import annotations

import pytest

from benchmarks.e2e_rabbitmq import measure


@pytest.mark.rabbitmq
def test_both_consumers_drain_every_sample(rabbitmq):
    results = measure(rabbitmq.url, samples=300, batch_size=50, timeout=120)  # raises unless all 300 arrive
    assert results["bare"] > 0 and results["compat"] > 0
    rabbitmq.wait_until_drained(["e2e_compat"], timeout=30)  # drained last, nothing left unacked
