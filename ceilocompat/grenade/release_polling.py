"""The polling side of a Ceilometer release, run by that release's own interpreter.

This file is executed as a script by a release environment's ``python``
(Python 2.7 or 3.6 and later; it imports nothing from ceilocompat). It publishes
polling batches exactly as the release's ``PollingTask.poll_and_notify``
does: the release's own ``Sample``, ``meter_message_from_counter`` (with the
release's own signature) and a notifier on its own transport, event type
``telemetry.polling``, payload ``{"samples": [...]}``, publisher id
``ceilometer.polling``. Every release from 8.1.5 on publishes so (8.1.5 and
9.x in ``ceilometer/agent/manager.py``, ``PollingTask._send_notification``;
10.0.0 on in ``ceilometer/polling/manager.py``).

Commands on standard input, one per line: ``publish COUNT PREFIX`` publishes
one batch of COUNT samples whose resource ids start with PREFIX and answers
``published COUNT``; ``quit`` ends. The configuration file (first argument)
carries ``transport_url``, ``[publisher] telemetry_secret`` and
``[oslo_messaging_notifications] topics``.
"""

import datetime
import sys


def _notifier(conf):
    import oslo_messaging
    from ceilometer import messaging

    driver = getattr(getattr(conf, "publisher_notifier", None), "telemetry_driver", "messagingv2")
    return oslo_messaging.Notifier(messaging.get_transport(conf), driver=driver, publisher_id="ceilometer.polling")


def _samples(count, prefix):
    from ceilometer import sample as sample_mod

    now = datetime.datetime.utcnow().isoformat()
    out = []
    for index in range(count):
        out.append(sample_mod.Sample(
            name="cpu", type=sample_mod.TYPE_CUMULATIVE, unit="ns", volume=index,
            user_id="u-rehearsal", project_id="p-rehearsal", resource_id="%s-%d" % (prefix, index),
            timestamp=now, resource_metadata={"rehearsal": True},
        ))
    return out


def main(argv):
    from ceilometer import service
    from ceilometer.publisher import utils

    conf = service.prepare_service([], [argv[1]])
    notifier = _notifier(conf)
    secret = conf.publisher.telemetry_secret
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in iter(sys.stdin.readline, ""):  # not ``for line in sys.stdin``: Python 2 reads ahead
        words = line.split()
        if not words or words[0] == "quit":
            break
        count, prefix = int(words[1]), words[2]
        batch = [utils.meter_message_from_counter(s, secret) for s in _samples(count, prefix)]
        notifier.sample({}, "telemetry.polling", {"samples": batch})
        sys.stdout.write("published %d\n" % count)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
