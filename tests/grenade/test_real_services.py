"""Real Ceilometer releases on a real RabbitMQ: their own notification agents and polling sides.

Every pair of a few releases is in tests/grenade/test_matrix.py; here the
services themselves: started, fed, read, their errors, stopped.

Needs the release environments (built and cached on first use, see
``ceilocompat.grenade.environments``) and ``rabbitmq-server``. With
``CEILOCOMPAT_REQUIRE_GRENADE=1`` (CI) an environment that cannot be built
fails the test instead of skipping it.
"""

from __future__ import annotations

import collections
import time
import uuid

import pytest

from bus import listening, wait_until
from ceilocompat import CompatEndpoint
from ceilocompat.grenade import NotificationAgent, PollingSide, Topics
from ceilocompat.grenade.matrix import predicted_loss
from ceilocompat.grenade.services import write_config
from ceilocompat.routing import notification_transport
from release_environments import environment

SECRET = "grenade secret"
BATCH = 50

pytestmark = [pytest.mark.rabbitmq, pytest.mark.grenade]


class Collector:
    """Resource ids of every sample the agents published, by batch prefix, with how often each came."""

    def __init__(self) -> None:
        self.resources: collections.Counter[str] = collections.Counter()

    def __call__(self, items, _delivery) -> None:
        self.resources.update(item.resource_id for item in items)

    def count(self, prefix: str) -> int:
        """How many distinct samples of batch *prefix* came."""
        return sum(1 for r in self.resources if r.startswith(prefix + "-"))

    def deliveries(self, prefix: str) -> int:
        """How many samples of batch *prefix* came, each redelivered copy counted again."""
        return sum(n for r, n in self.resources.items() if r.startswith(prefix + "-"))


@pytest.mark.parametrize("agent_release, polling_release, delivered", [
    ("27.0.0", "17.0.0", BATCH),  # reads user_name with a default
    ("21.0.0", "17.0.0", 0),      # KeyError: 'user_name': the whole old batch is lost
])
def test_a_real_agent_republishes_a_polling_batch_or_loses_it_as_its_release_does_and_as_planned(
        rabbitmq, tmp_path, agent_release, polling_release, delivered):
    agent_env, polling_env = environment(agent_release), environment(polling_release)
    topics = Topics.for_run(uuid.uuid4().hex[:8])
    config = write_config(tmp_path / "conf", rabbitmq.url, SECRET, topics)
    collector = Collector()
    transport = notification_transport(__import__("oslo_config").cfg.ConfigOpts(), rabbitmq.url)
    agent = NotificationAgent(agent_env, tmp_path / "agent", config)
    polling = PollingSide(polling_env, tmp_path / "polling", config)
    endpoint = CompatEndpoint(topics.sample_route, collector)
    try:
        with listening(transport, [endpoint], pool="collector"):
            agent.start()
            polling.start()
            wait_until(lambda: topics.notifications + ".sample" in rabbitmq.queues()
                       and rabbitmq.queues()[topics.notifications + ".sample"].consumers > 0,
                       timeout=120, what=f"the {agent_release} agent to listen")
            polling.publish(BATCH, "batch")
            if delivered:
                wait_until(lambda: collector.count("batch") == BATCH, timeout=60, what="the republished batch")
            else:
                time.sleep(10)
                assert any("user_name" in line for line in agent.errors()), agent.errors()
            assert collector.count("batch") == delivered
            assert bool(predicted_loss(polling_release, agent_release)) == (delivered == 0)
    finally:
        polling.stop()
        agent.stop()
        transport.cleanup()


def test_a_crashed_agent_loses_nothing_its_successor_takes_what_waited_in_the_queue(rabbitmq, tmp_path):
    env = environment("27.0.0")
    topics = Topics.for_run(uuid.uuid4().hex[:8])
    config = write_config(tmp_path / "conf", rabbitmq.url, SECRET, topics)
    collector = Collector()
    transport = notification_transport(__import__("oslo_config").cfg.ConfigOpts(), rabbitmq.url)
    crashed = NotificationAgent(env, tmp_path / "crashed", config)
    successor = NotificationAgent(env, tmp_path / "successor", config)
    polling = PollingSide(env, tmp_path / "polling", config)
    queue = topics.notifications + ".sample"

    def consumers() -> int:
        stats = rabbitmq.queues().get(queue)
        return 0 if stats is None else stats.consumers

    try:
        with listening(transport, [CompatEndpoint(topics.sample_route, collector)], pool="collector"):
            crashed.start()
            polling.start()
            wait_until(lambda: consumers() > 0, timeout=120, what="the first agent to listen")
            polling.publish(BATCH, "before")
            wait_until(lambda: collector.count("before") == BATCH, timeout=60, what="the first batch")
            assert crashed.kill() == -9 and not crashed.running  # SIGKILL: nothing flushed, nothing acknowledged
            wait_until(lambda: consumers() == 0, timeout=60, what="the broker to see the agent gone")
            polling.publish(BATCH, "while-down")
            time.sleep(2)
            # The batch sent while no agent ran waits in the queue; so does the first one when the kill came
            # after the agent forwarded it and before its acknowledgement reached the broker (at least once).
            waiting = rabbitmq.queues()[queue].messages
            assert collector.count("while-down") == 0 and waiting in (1, 2)
            successor.start()
            wait_until(lambda: collector.count("while-down") == BATCH, timeout=120, what="the waiting batch")
            redelivered = BATCH if waiting == 2 else 0  # nothing lost: the unacknowledged batch comes again
            wait_until(lambda: collector.deliveries("before") == BATCH + redelivered, timeout=60,
                       what="a redelivery")
            assert collector.count("before") == BATCH and collector.deliveries("while-down") == BATCH
            assert successor.stop() == 0  # SIGTERM: a clean exit
    finally:
        polling.stop()
        crashed.stop()
        successor.stop()
        transport.cleanup()
